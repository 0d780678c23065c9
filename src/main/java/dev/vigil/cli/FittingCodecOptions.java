package dev.vigil.cli;

import dev.vigil.media.FrameCodec;
import picocli.CommandLine.Option;

/**
 * The codec frames pass through before fitting or offline scoring, so that a model learns, and an evaluation
 * scores, the pixels the service will see after Kafka (train and eval).
 */
public class FittingCodecOptions {
    @Option(names = "--frame-codec", paramLabel = "jpeg:Q|png|none", defaultValue = "jpeg:90",
            description = "Every frame is encoded and decoded with this codec first, as a frame through Kafka is "
                    + "(default: ${DEFAULT-VALUE}, as ingest and replay send; png is lossless; none: the decoded "
                    + "pixels as read)")
    String frameCodec;

    /** @return the codec, or null for none */
    FrameCodec codecOrNull() {
        return FrameCodec.parseOrNone(frameCodec).orElse(null);
    }
}
