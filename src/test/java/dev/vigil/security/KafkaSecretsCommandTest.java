package dev.vigil.security;

import dev.vigil.access.DeploymentSecrets;
import dev.vigil.access.Role;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code vigil kafka-secrets}: what deploy/ mounts, owner-only, with the passwords that open it, and none printed. */
class KafkaSecretsCommandTest {

    @Test
    void makesEveryFileTheDeployFilesMountOwnerOnlyAndPrintsNoSecret(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("secrets");
        VigilRun run = VigilRun.of("kafka-secrets", "--out", out.toString(), "--broker-host",
                "kafka-1,kafka-2,kafka-3", "--client-dir", out.toString(), "--broker-dir", out.toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwx------");
        try (var files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
                    .containsExactlyInAnyOrderElementsOf(DeploymentSecrets.files());
        }
        for (String name : DeploymentSecrets.files()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(name))))
                    .as(name).isEqualTo("rw-------");
        }

        Properties broker = properties(out.resolve(DeploymentSecrets.BROKER_SSL));
        KeyStore keys = load(out.resolve(DeploymentSecrets.BROKER_KEY_STORE), broker.getProperty("ssl.keystore.password"));
        X509Certificate cert = (X509Certificate) keys.getCertificate("broker");
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=broker");
        assertThat(cert.getSubjectAlternativeNames().stream().map(n -> (Object) n.get(1)).toList())
                .containsExactly("kafka-1", "kafka-2", "kafka-3", "localhost");
        KeyStore trust = load(out.resolve(DeploymentSecrets.TRUST_STORE), broker.getProperty("ssl.truststore.password"));
        cert.verify(((X509Certificate) trust.getCertificate("ca-0")).getPublicKey());

        Properties scorer = properties(out.resolve(DeploymentSecrets.clientFile(Role.SCORER)));
        assertThat(scorer.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        String password = scorer.getProperty("sasl.jaas.config").replaceAll(".*password=\"([^\"]+)\".*", "$1");
        assertThat(Files.readString(out.resolve(DeploymentSecrets.scramFile(Role.SCORER))))
                .isEqualTo("SCRAM-SHA-512=[iterations=8192,password=" + password + "]\n");
        assertThat(run.out() + run.err()).doesNotContain(password)
                .doesNotContain(broker.getProperty("ssl.keystore.password"));
        // another role, another password
        assertThat(Files.readString(out.resolve(DeploymentSecrets.clientFile(Role.INGEST)))).doesNotContain(password);
        Properties admin = properties(out.resolve(DeploymentSecrets.ADMIN_CLIENT));
        assertThat(load(Path.of(admin.getProperty("ssl.keystore.location")), admin.getProperty("ssl.keystore.password"))
                .aliases().nextElement()).isEqualTo("admin");
        assertThat(List.of(admin.getProperty("security.protocol"))).containsExactly("SSL");
    }

    private static Properties properties(Path file) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        return p;
    }

    private static KeyStore load(Path file, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }
}
