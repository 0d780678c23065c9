package dev.vigil.cli;

import dev.vigil.stream.Topic;
import dev.vigil.stream.TopicReader;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;

/** What `scores` and `alerts` read: which camera, from where, on which Kafka. */
public class SubscriberOptions {
    @Option(names = "--camera", paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Only this camera (default: all)")
    String camera;

    @Option(names = "--from-beginning", description = "From the oldest record kept, not only new ones")
    boolean fromBeginning;

    @Mixin
    KafkaOptions kafka;

    /** A reader of the topic that stops on SIGTERM/Ctrl-C. */
    TopicReader reader(Topic<?> topic) throws IOException {
        TopicReader reader = new TopicReader(kafka.connection(), topic, camera, fromBeginning);
        Runtime.getRuntime().addShutdownHook(new Thread(reader::stop, "vigil-reader-stop"));
        return reader;
    }
}
