package dev.vigil.cli;

import dev.vigil.stream.Retention;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * How long the topics a command creates keep what shows people (docs/configuration.md#retention): for the commands
 * that create Vigil's topics as they start, {@code broker} and {@code serve}. Other commands create a missing topic
 * with the defaults.
 */
public class RetentionOptions {
    @Option(names = "--frames-retention", paramLabel = "DURATION", defaultValue = "PT24H",
            description = "How long vigil.frames keeps the cameras' frames, when created here (ISO-8601, default: "
                    + "${DEFAULT-VALUE})")
    Duration frames;

    @Option(names = "--maps-retention", paramLabel = "DURATION", defaultValue = "P7D",
            description = "How long vigil.anomaly-maps keeps the anomaly maps, when created here (default: "
                    + "${DEFAULT-VALUE})")
    Duration maps;

    @Option(names = "--snapshots-retention", paramLabel = "DURATION", defaultValue = "P7D",
            description = "How long vigil.snapshots keeps the alerts' pictures, when created here (default: "
                    + "${DEFAULT-VALUE})")
    Duration snapshots;

    @Option(names = "--alerts-retention", paramLabel = "DURATION", defaultValue = "P30D",
            description = "How long vigil.alerts keeps the alert records (no pictures), when created here (default: "
                    + "${DEFAULT-VALUE})")
    Duration alerts;

    @Option(names = "--dead-letters-retention", paramLabel = "DURATION", defaultValue = "P7D",
            description = "How long vigil.dead-letters keeps refused inputs (frames among them), when created here "
                    + "(default: ${DEFAULT-VALUE})")
    Duration deadLetters;

    /** @throws IllegalArgumentException naming the topic whose retention is not positive */
    Retention retention() {
        return new Retention(frames, maps, snapshots, alerts, deadLetters);
    }
}
