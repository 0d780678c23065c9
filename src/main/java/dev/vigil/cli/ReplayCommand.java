package dev.vigil.cli;

import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay recorded footage into the frames topic, as a camera would send it.")
public class ReplayCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id the frames are for")
    String camera;

    @Option(names = "--file", required = true, paramLabel = "<video>", description = "Video file to replay")
    Path file;

    static class Pace {
        @Option(names = "--speed", paramLabel = "X", description = "Playback speed, 1 = real time (default: 1)")
        Double speed;

        @Option(names = "--max-speed", description = "As fast as the broker takes frames")
        boolean max;
    }

    @ArgGroup(exclusive = true)
    Pace pace;

    @Mixin
    FrameCodecOptions frameCodec;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "video file does not exist");
        }
        double speed = pace == null ? 1.0 : pace.max ? 0.0 : pace.speed;
        if (speed < 0) {
            throw new IllegalArgumentException("--speed must be positive, got " + speed);
        }
        FrameCodec codec = frameCodec.codec();
        long n = Replayer.replay(kafka.connection(), camera, file.toString(), codec, speed);
        spec.commandLine().getOut().printf("replayed %d frames of %s as camera %s (%s) to %s%n", n, file, camera,
                codec, kafka.bootstrap);
        return 0;
    }
}
