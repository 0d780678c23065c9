package dev.vigil.cli;

import dev.vigil.ingest.CameraConfig;
import dev.vigil.ingest.CameraIngest;
import dev.vigil.ingest.Ingestor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Read cameras (rtsp://, http://, udp://, or a file) into the frames topic, each on its own "
                + "thread: --camera and --source, or the cameras of a camera file (config/cameras.yaml); a failing "
                + "source is retried with back-off and reported on the camera-status topic.")
public class IngestCommand implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id (with --source)")
    String camera;

    @Option(names = "--source", paramLabel = "<url|file>", description = "What FFmpeg reads (with --camera)")
    String source;

    @Option(names = "--config", paramLabel = "<file>",
            description = "Camera file (YAML) whose enabled cameras are read; without --camera and --source: "
                    + "config/cameras.yaml")
    Path config;

    @Option(names = "--fps", paramLabel = "F", defaultValue = "5",
            description = "Frames per second kept, with --camera (0: every frame; default: ${DEFAULT-VALUE})")
    double fps;

    @Mixin
    FrameCodecOptions frameCodec;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<CameraIngest.Settings> settings = settings();
        for (CameraIngest.Settings s : settings) {
            // a missing file is a typo, not an outage to retry: say so before anything starts
            if (!s.source().contains("://") && !Files.exists(Path.of(s.source()))) {
                throw new IllegalArgumentException("camera " + s.camera() + ": source file " + s.source()
                        + " does not exist (working directory " + Path.of("").toAbsolutePath() + ")");
            }
        }
        Ingestor ingestor = Ingestor.start(kafka.connection(), settings);
        Thread shutdown = new Thread(() -> {
            try {
                ingestor.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vigil-ingest-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        ingestor.awaitEnd();
        try {
            // every camera has ended by itself (file sources): nothing left for the hook to stop
            Runtime.getRuntime().removeShutdownHook(shutdown);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and the hook is running
        }
        for (CameraIngest camera : ingestor.cameras()) {
            spec.commandLine().getOut().printf("camera %s: %d frames from %s%s%n", camera.settings().camera(),
                    camera.published(), camera.settings().redactedSource(),
                    camera.failed() == 0 ? "" : ", " + camera.failed() + " not delivered");
        }
        ingestor.close();
        if (ingestor.failed() > 0) {
            throw new IOException(ingestor.failed() + " of " + (ingestor.failed() + ingestor.published())
                    + " frames were not delivered to Kafka at " + kafka.bootstrap + " (the log names the error)");
        }
        return 0;
    }

    /** One camera from the command line, else the enabled cameras of the camera file. */
    private List<CameraIngest.Settings> settings() throws IOException {
        // plain options checked here rather than picocli groups: its message for a mixed group names no option
        if (config != null && (camera != null || source != null)) {
            throw new ParameterException(spec.commandLine(), "--config cannot be combined with --camera and "
                    + "--source: a camera file lists its own cameras");
        }
        if ((camera == null) != (source == null)) {
            throw new ParameterException(spec.commandLine(), camera == null
                    ? "--source needs --camera, the id its frames are keyed by"
                    : "--camera needs --source, the URL or file to read");
        }
        if (camera != null) {
            if (!CameraConfig.validFps(fps)) {
                throw new ParameterException(spec.commandLine(), "--fps must be a number of frames per second >= 0 "
                        + "(0: every frame), got " + fps);
            }
            return List.of(new CameraIngest.Settings(camera, source, fps, frameCodec.codec(),
                    CameraIngest.INITIAL_BACKOFF, CameraIngest.MAX_BACKOFF));
        }
        // a camera file sets fps and codec per camera (or under defaults:); a flag beside it would be ambiguous
        for (String option : List.of("--fps", "--frame-codec")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new ParameterException(spec.commandLine(), option + " applies to --camera; with a camera file "
                        + "set " + (option.equals("--fps") ? "fps" : "frame_codec") + " per camera or under defaults:");
            }
        }
        Path file = config != null ? config : CameraConfig.DEFAULT_FILE;
        if (config == null && !Files.exists(file)) {
            throw new ParameterException(spec.commandLine(), "no camera to ingest: give --camera and --source, or "
                    + "--config <file> (the default " + file + " does not exist in " + Path.of("").toAbsolutePath()
                    + ")");
        }
        return CameraConfig.load(file);
    }
}
