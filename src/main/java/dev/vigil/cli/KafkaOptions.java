package dev.vigil.cli;

import dev.vigil.stream.KafkaConnection;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Kafka connection shared by the commands that talk to a broker. */
public class KafkaOptions {
    /** read when present, so that securing every command is one edit of one file */
    static final Path DEFAULT_CLIENT_CONFIG = Path.of("config", "kafka-client.properties");

    @Option(names = "--bootstrap", paramLabel = "host:port", defaultValue = "${env:VIGIL_BOOTSTRAP:-localhost:9092}",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}; localhost:9092 is the embedded broker)")
    String bootstrap;

    @Option(names = "--kafka-config", paramLabel = "<file>",
            description = "Kafka client settings (security.protocol, sasl.*, ssl.*) as a properties file "
                    + "(default: config/kafka-client.properties when it exists)")
    Path clientConfig;

    KafkaConnection connection() throws IOException {
        Path file = clientConfig;
        if (file == null && Files.isRegularFile(DEFAULT_CLIENT_CONFIG)) {
            file = DEFAULT_CLIENT_CONFIG;
        }
        return KafkaConnection.of(bootstrap, file);
    }
}
