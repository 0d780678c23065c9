package dev.vigil.cli;

import picocli.CommandLine.Option;

/** The Kafka connection shared by the commands that talk to a broker. */
public class KafkaOptions {
    @Option(names = "--bootstrap", paramLabel = "host:port", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}, the embedded broker)")
    String bootstrap;
}
