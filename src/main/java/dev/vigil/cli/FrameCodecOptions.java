package dev.vigil.cli;

import dev.vigil.media.FrameCodec;
import picocli.CommandLine.Option;

/** How frames are encoded on their way through Kafka, shared by ingest and replay. */
public class FrameCodecOptions {
    @Option(names = "--frame-codec", paramLabel = "jpeg:Q|png", defaultValue = "jpeg:90",
            description = "How frames are encoded (default: ${DEFAULT-VALUE}; png is lossless)")
    String codec;

    FrameCodec codec() {
        return FrameCodec.parse(codec);
    }
}
