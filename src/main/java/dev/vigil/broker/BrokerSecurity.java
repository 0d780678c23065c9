package dev.vigil.broker;

import dev.vigil.access.ClientSettings;
import dev.vigil.access.Role;
import dev.vigil.access.RoleAcls;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.tls.CertificateAuthority;
import dev.vigil.tls.KeyStores;
import dev.vigil.files.PrivateFiles;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * The secrets of a secured embedded broker, made afresh at every start and never committed: a certificate authority
 * (kept in memory only), the broker's certificate, a certificate and a SCRAM password for every {@link Role} and for
 * {@code admin}, and the client settings files that carry them ({@code <data dir>/clients/<name>.properties} for
 * SASL_SSL, {@code <name>-mtls.properties} for mutual TLS), all owner-only.
 *
 * <p>Listeners: {@code CLIENT} (SASL_SSL, SCRAM-SHA-512) for clients; {@code MTLS} (SSL, client certificate
 * required), when asked for, as the alternative; {@code INTERNAL} (SSL, client certificate required) between brokers;
 * {@code CONTROLLER} (SSL, client certificate required) to the KRaft controller. INTERNAL and CONTROLLER listen on
 * loopback and accept only the broker's own certificate as a super user, so no listener takes a connection that has
 * not proved who it is. A certificate's principal is its CN ({@code CN=scorer} is {@code User:scorer}), the same
 * principal as the SCRAM user of that name, so one set of ACLs serves both.
 */
final class BrokerSecurity {
    /** The broker's own principal: a super user, for inter-broker and controller traffic. */
    static final String BROKER = "broker";
    /** An administrator (super user): creates topics, users and ACLs. */
    static final String ADMIN = "admin";
    static final String PRINCIPAL_RULES = "RULE:^CN=([^,]+)(,.*)?$/$1/,DEFAULT";
    private static final Duration VALIDITY = Duration.ofDays(30);

    private final ClientSettings.Store trust;
    private final ClientSettings.Store brokerKey;
    private final Path clientsDir;
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final Map<String, ClientSettings.Store> clientKeys = new HashMap<>();

    private BrokerSecurity(ClientSettings.Store trust, ClientSettings.Store brokerKey, Path clientsDir) {
        this.trust = trust;
        this.brokerKey = brokerKey;
        this.clientsDir = clientsDir;
    }

    /** Makes the authority, the certificates and key stores under {@code dir/tls} and {@code dir/clients}. */
    static BrokerSecurity create(Path dir) throws IOException {
        try {
            Path tls = PrivateFiles.ownDirectory(dir.resolve("tls"));
            Path clients = PrivateFiles.ownDirectory(dir.resolve("clients"));
            CertificateAuthority ca = CertificateAuthority.create("vigil-embedded-ca", VALIDITY);
            ClientSettings.Store trust = new ClientSettings.Store(tls.resolve("truststore.p12"),
                    ClientSettings.randomPassword());
            KeyStores.writeTrustStore(trust.file(), trust.password().toCharArray(), ca.certificate());
            ClientSettings.Store brokerKey = new ClientSettings.Store(tls.resolve("broker.p12"),
                    ClientSettings.randomPassword());
            KeyStores.writeKeyStore(brokerKey.file(), brokerKey.password().toCharArray(), BROKER,
                    ca.issue(BROKER, List.of("localhost", "127.0.0.1"), VALIDITY));
            BrokerSecurity s = new BrokerSecurity(trust, brokerKey, clients);
            for (String user : users()) {
                s.passwords.put(user, ClientSettings.randomPassword());
                ClientSettings.Store key = new ClientSettings.Store(clients.resolve(user + ".p12"),
                        ClientSettings.randomPassword());
                KeyStores.writeKeyStore(key.file(), key.password().toCharArray(), user, ca.issue(user, List.of(),
                        VALIDITY));
                s.clientKeys.put(user, key);
            }
            return s;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make the broker's certificates: " + e.getMessage(), e);
        }
    }

    /** admin, then every role's name. */
    static List<String> users() {
        List<String> users = new ArrayList<>(List.of(ADMIN));
        for (Role r : Role.values()) {
            users.add(r.id());
        }
        return users;
    }

    /** The broker's listener, TLS, SASL and authorizer settings. */
    Map<String, Object> brokerConfig(int clientPort, int mtlsPort, int internalPort, int controllerPort) {
        Map<String, Object> p = new HashMap<>();
        String listeners = "CLIENT://localhost:" + clientPort + ",INTERNAL://localhost:" + internalPort
                + (mtlsPort > 0 ? ",MTLS://localhost:" + mtlsPort : "");
        p.put("listeners", listeners + ",CONTROLLER://localhost:" + controllerPort);
        p.put("advertised.listeners", listeners);
        p.put("listener.security.protocol.map", "CLIENT:SASL_SSL,MTLS:SSL,INTERNAL:SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("ssl.keystore.type", KeyStores.TYPE);
        p.put("ssl.keystore.location", brokerKey.file().toAbsolutePath().toString());
        p.put("ssl.keystore.password", brokerKey.password());
        p.put("ssl.key.password", brokerKey.password());
        p.put("ssl.truststore.type", KeyStores.TYPE);
        p.put("ssl.truststore.location", trust.file().toAbsolutePath().toString());
        p.put("ssl.truststore.password", trust.password());
        for (String name : List.of("mtls", "internal", "controller")) {
            p.put("listener.name." + name + ".ssl.client.auth", "required");
        }
        p.put("ssl.principal.mapping.rules", PRINCIPAL_RULES);
        p.put("listener.name.client.sasl.enabled.mechanisms", ClientSettings.SCRAM_MECHANISM);
        p.put("listener.name.client.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + BROKER + ";User:" + ADMIN);
        p.put("allow.everyone.if.no.acl.found", "false");
        return p;
    }

    /** The broker's own identity on the INTERNAL listener: for creating users and ACLs before any exist. */
    KafkaConnection internal(String internalBootstrap) {
        return new KafkaConnection(internalBootstrap, ClientSettings.mutualTls(brokerKey, trust));
    }

    /**
     * Creates the SCRAM users and every role's ACLs (principal {@code User:<role>}, default options), then writes
     * the client settings files.
     */
    void provision(KafkaConnection internal, String clientBootstrap, String mtlsBootstrap)
            throws IOException, InterruptedException {
        try (Admin admin = Admin.create(internal.config())) {
            List<UserScramCredentialAlteration> upserts = new ArrayList<>();
            passwords.forEach((user, password) -> upserts.add(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)));
            admin.alterUserScramCredentials(upserts).all().get();
            List<AclBinding> acls = new ArrayList<>();
            for (Role role : Role.values()) {
                acls.addAll(RoleAcls.of(role, "User:" + role.id(), RoleAcls.Options.DEFAULTS));
            }
            RoleAcls.apply(admin, acls);
            awaitUsers(admin);
        } catch (ExecutionException e) {
            throw new IOException("cannot create the broker's users and ACLs: " + e.getCause().getMessage(), e);
        }
        for (String user : users()) {
            ClientSettings.write(clientsDir.resolve(user + ".properties"), scram(user),
                    "Vigil, " + user + ": SASL_SSL (SCRAM-SHA-512) to " + clientBootstrap);
            if (mtlsBootstrap != null) {
                ClientSettings.write(clientsDir.resolve(user + "-mtls.properties"), mutualTls(user),
                        "Vigil, " + user + ": mutual TLS to " + mtlsBootstrap);
            }
        }
    }

    /** SCRAM credentials reach the broker through the metadata log: wait (up to 30 s) until it knows them all. */
    private void awaitUsers(Admin admin) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline
                && !admin.describeUserScramCredentials().all().get().keySet().containsAll(passwords.keySet())) {
            Thread.sleep(50);
        }
    }

    Map<String, String> scram(String user) {
        return ClientSettings.scram(user, passwords.get(user), trust);
    }

    Map<String, String> mutualTls(String user) {
        return ClientSettings.mutualTls(clientKeys.get(user), trust);
    }

    /** {@code clients/<user>.properties}, or with {@code -mtls} for mutual TLS. */
    Path clientFile(String user, boolean mtls) {
        return clientsDir.resolve(user + (mtls ? "-mtls" : "") + ".properties");
    }
}
