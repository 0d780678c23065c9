package dev.vigil.access;

import dev.vigil.tls.CertificateAuthority;
import dev.vigil.tls.KeyStores;
import dev.vigil.files.PrivateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The certificates, keys and passwords of a deployment's Kafka (deploy/), made once by {@code vigil kafka-secrets}
 * into one owner-only folder that is never committed. Brokers get one certificate ({@code CN=broker}, a super user,
 * with every broker's host names) for their TLS listeners and for mutual TLS between them and to the controllers;
 * {@code admin} (a super user) a certificate for the INTERNAL listener, where the topics job creates topics, users and
 * ACLs; every {@link Role} a SCRAM-SHA-512 password, in a client settings file for {@code --kafka-config} and in a
 * {@code kafka-configs.sh --add-config-file} file that creates the user. The authority's key is not kept: new
 * certificates come from a new authority, trusted beside the old one while they roll out (docs/operations.md).
 */
public final class DeploymentSecrets {
    /** Written files, by name: what deploy/ mounts. */
    public static final String CA_CERTIFICATE = "ca.crt";
    public static final String TRUST_STORE = "truststore.p12";
    public static final String BROKER_KEY_STORE = "broker.p12";
    public static final String BROKER_SSL = "broker-ssl.properties";
    /** The brokers' own identity as a client settings file, for their health checks on the INTERNAL listener. */
    public static final String BROKER_CLIENT = "broker-client.properties";
    public static final String ADMIN_KEY_STORE = "admin.p12";
    public static final String ADMIN_CLIENT = "admin.properties";

    private DeploymentSecrets() {
    }

    /** A role's client settings file. */
    public static String clientFile(Role role) {
        return role.id() + ".properties";
    }

    /** A role's {@code SCRAM-SHA-512=[iterations=8192,password=...]}, for {@code kafka-configs.sh --add-config-file}. */
    public static String scramFile(Role role) {
        return role.id() + ".scram";
    }

    /** Every file {@link #write} makes. */
    public static List<String> files() {
        List<String> names = new ArrayList<>(List.of(CA_CERTIFICATE, TRUST_STORE, BROKER_KEY_STORE, BROKER_SSL, BROKER_CLIENT,
                ADMIN_KEY_STORE, ADMIN_CLIENT));
        for (Role r : Role.values()) {
            names.add(clientFile(r));
            names.add(scramFile(r));
        }
        return names;
    }

    /**
     * @param brokerHosts the names clients and brokers reach the brokers by (verified against the certificate)
     * @param brokerDir   where the brokers find the files (their {@code ssl.*.location})
     * @param clientDir   where Vigil's containers find them
     */
    public static void write(Path out, List<String> brokerHosts, String brokerDir, String clientDir,
                             Duration validity) throws IOException {
        if (brokerHosts.isEmpty()) {
            throw new IllegalArgumentException("name at least one broker host");
        }
        PrivateFiles.ownDirectory(out);
        try {
            CertificateAuthority ca = CertificateAuthority.create("vigil-kafka-ca", validity);
            String trustPassword = ClientSettings.randomPassword();
            KeyStores.writeTrustStore(out.resolve(TRUST_STORE), trustPassword.toCharArray(), ca.certificate());
            PrivateFiles.write(out.resolve(CA_CERTIFICATE), pem(ca.certificate().getEncoded()));

            String brokerPassword = ClientSettings.randomPassword();
            List<String> hosts = new ArrayList<>(brokerHosts);
            // a broker's health check reaches itself as localhost
            if (!hosts.contains("localhost")) {
                hosts.add("localhost");
            }
            KeyStores.writeKeyStore(out.resolve(BROKER_KEY_STORE), brokerPassword.toCharArray(), "broker",
                    ca.issue("broker", hosts, validity));
            Map<String, String> broker = new LinkedHashMap<>();
            broker.put("ssl.keystore.type", KeyStores.TYPE);
            broker.put("ssl.keystore.location", brokerDir + "/" + BROKER_KEY_STORE);
            broker.put("ssl.keystore.password", brokerPassword);
            broker.put("ssl.key.password", brokerPassword);
            broker.put("ssl.truststore.type", KeyStores.TYPE);
            broker.put("ssl.truststore.location", brokerDir + "/" + TRUST_STORE);
            broker.put("ssl.truststore.password", trustPassword);
            ClientSettings.write(out.resolve(BROKER_SSL), broker, "Kafka brokers: key and trust stores");
            ClientSettings.write(out.resolve(BROKER_CLIENT), ClientSettings.mutualTls(new ClientSettings.Store(
                    Path.of(brokerDir, BROKER_KEY_STORE), brokerPassword), new ClientSettings.Store(
                    Path.of(brokerDir, TRUST_STORE), trustPassword)), "Kafka brokers as clients of themselves");

            String adminPassword = ClientSettings.randomPassword();
            KeyStores.writeKeyStore(out.resolve(ADMIN_KEY_STORE), adminPassword.toCharArray(), "admin",
                    ca.issue("admin", List.of(), validity));
            ClientSettings.Store trust = new ClientSettings.Store(Path.of(clientDir, TRUST_STORE), trustPassword);
            ClientSettings.write(out.resolve(ADMIN_CLIENT), ClientSettings.mutualTls(new ClientSettings.Store(
                    Path.of(clientDir, ADMIN_KEY_STORE), adminPassword), trust),
                    "Kafka administrator (super user): mutual TLS to the INTERNAL listener");
            for (Role role : Role.values()) {
                String password = ClientSettings.randomPassword();
                ClientSettings.write(out.resolve(clientFile(role)), ClientSettings.scram(role.id(), password, trust),
                        "Vigil " + role.id() + ": SASL_SSL (SCRAM-SHA-512)");
                PrivateFiles.write(out.resolve(scramFile(role)), ("SCRAM-SHA-512=[iterations=8192,password="
                        + password + "]\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make the deployment's certificates: " + e.getMessage(), e);
        }
    }

    private static byte[] pem(byte[] der) {
        return ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
    }
}
