package dev.vigil.cli;

import dev.vigil.ingest.CameraIngest;
import dev.vigil.ingest.Ingestor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Read a camera (rtsp://, http://, udp://, or a file) into the frames topic; a failing source is "
                + "retried with back-off and reported on the camera-status topic.")
public class IngestCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>", description = "Camera id")
    String camera;

    @Option(names = "--source", required = true, paramLabel = "<url|file>", description = "What FFmpeg reads")
    String source;

    @Option(names = "--fps", paramLabel = "F", defaultValue = "5",
            description = "Frames per second kept (0: every frame; default: ${DEFAULT-VALUE})")
    double fps;

    @Mixin
    FrameCodecOptions frameCodec;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CameraIngest.Settings settings = new CameraIngest.Settings(camera, source, fps, frameCodec.codec(),
                Duration.ofSeconds(1), Duration.ofSeconds(30));
        Ingestor ingestor = Ingestor.start(kafka.connection(), List.of(settings));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                ingestor.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vigil-ingest-shutdown"));
        ingestor.awaitEnd();
        spec.commandLine().getOut().printf("camera %s: %d frames from %s%n", camera, ingestor.published(), source);
        ingestor.close();
        return 0;
    }
}
