package dev.vigil.stream;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client settings from a properties file: read, overridden by the command line's bootstrap, never printed. */
class KafkaConnectionTest {
    @TempDir
    Path dir;

    @Test
    void clientSettingsAreReadFromTheFileAndTheCommandLineBootstrapWins() throws Exception {
        Path file = dir.resolve("kafka-client.properties");
        Files.writeString(file, """
                # SASL over TLS
                bootstrap.servers=kafka-in-file:9093
                security.protocol=SASL_SSL
                sasl.mechanism = SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="vigil" password="s3cret";
                ssl.truststore.location=/etc/vigil/truststore.p12   \s
                """);
        KafkaConnection kafka = KafkaConnection.of("broker-1:9093,broker-2:9093", file);
        assertThat(kafka.bootstrap()).isEqualTo("broker-1:9093,broker-2:9093");
        assertThat(kafka.client()).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"vigil\" password=\"s3cret\";"),
                Map.entry("ssl.truststore.location", "/etc/vigil/truststore.p12"));
        Map<String, Object> config = kafka.config();
        assertThat(config).containsEntry("bootstrap.servers", "broker-1:9093,broker-2:9093")
                .containsEntry("security.protocol", "SASL_SSL");
        // each client gets its own copy to add to
        config.put("client.id", "x");
        assertThat(kafka.config()).doesNotContainKey("client.id");
    }

    @Test
    void theCommittedExampleSetsNothingUntilUncommentedAndThenOnlyKafkaClientSettings() throws Exception {
        Path example = Path.of("config", "kafka-client.properties.example");
        assertThat(KafkaConnection.of("localhost:9092", example).client()).isEmpty();
        // uncommented whole (both blocks, the last security.protocol wins), every key is one Kafka's clients know
        Path uncommented = dir.resolve("uncommented.properties");
        Files.write(uncommented, Files.readAllLines(example).stream()
                .map(line -> line.matches("#(\\S+=.*|\\s{4}.*)") ? line.substring(1) : line).toList());
        Map<String, String> settings = KafkaConnection.of("localhost:9092", uncommented).client();
        assertThat(settings).containsKeys("security.protocol", "sasl.mechanism", "ssl.keystore.location")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"vigil\" password=\"CHANGE-ME\";");
        java.util.Set<String> known = new java.util.HashSet<>(ProducerConfig.configNames());
        known.addAll(ConsumerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        assertThat(known).containsAll(settings.keySet());
    }

    @Test
    void withoutAFileTheConnectionIsPlain() throws Exception {
        KafkaConnection kafka = KafkaConnection.of("localhost:9092", null);
        assertThat(kafka.client()).isEmpty();
        assertThat(kafka.config()).containsOnly(Map.entry("bootstrap.servers", "localhost:9092"));
    }

    @Test
    void anUnreadableFileIsNamed() {
        Path missing = dir.resolve("no-such.properties");
        assertThatThrownBy(() -> KafkaConnection.of("localhost:9092", missing)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot read Kafka client settings " + missing + ": ");
        assertThatThrownBy(() -> KafkaConnection.of("localhost:9092", dir))
                .hasMessageStartingWith("cannot read Kafka client settings " + dir + ": ");
    }

    @Test
    void aJaasConfigCutInTwoIsRefusedByFileAndLineWithoutThePassword() throws Exception {
        // the backslash is missing: the second line would be a setting named password="s3cret";
        Path file = dir.resolve("cut.properties");
        Files.writeString(file, """
                security.protocol=SASL_SSL
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vigil"
                    password="s3cret";
                """);
        assertThatThrownBy(() -> KafkaConnection.of("broker:9093", file)).isInstanceOf(IOException.class)
                .hasMessageContaining("Kafka client settings " + file + ", line 3: not a setting")
                .hasMessageNotContaining("s3cret")
                .hasNoCause();
        Files.writeString(file, "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required\n"
                + "  username=\"vigil\" password=\"s3cret\";\n");
        assertThatThrownBy(() -> KafkaConnection.of("broker:9093", file))
                .hasMessageContaining("Kafka client settings " + file + ", line 2: not a setting")
                .hasMessageNotContaining("s3cret");
        Path escape = dir.resolve("escape.properties");
        Files.writeString(escape, "ssl.keystore.password=s3cret\\u12\n");
        assertThatThrownBy(() -> KafkaConnection.of("broker:9093", escape))
                .hasMessageStartingWith("cannot read Kafka client settings " + escape + ": ")
                .hasMessageNotContaining("s3cret");
        // comments, continuations and empty values are settings as Properties reads them
        Path fine = dir.resolve("fine.properties");
        Files.writeString(fine, "# a comment \\\n! another\n\nsasl.jaas.config=a \\\n  b=\"c\";\nssl.key.password\n");
        assertThat(KafkaConnection.of("broker:9093", fine).client()).containsOnlyKeys("sasl.jaas.config",
                "ssl.key.password");
    }

    @Test
    void anEmptyBootstrapIsRefused() {
        assertThatThrownBy(() -> KafkaConnection.of(" ", null)).hasMessage("Kafka bootstrap servers are empty");
    }

    @Test
    void printingAConnectionShowsTheAddressOnlyNeverTheSettings() throws Exception {
        Path file = dir.resolve("secret.properties");
        Files.writeString(file, "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"vigil\" password=\"s3cret\";\nssl.keystore.password=k3ystore\n");
        KafkaConnection kafka = KafkaConnection.of("broker:9093", file);
        assertThat(kafka.toString()).isEqualTo("broker:9093");
        assertThat("" + kafka).doesNotContain("s3cret").doesNotContain("k3ystore");
    }
}
