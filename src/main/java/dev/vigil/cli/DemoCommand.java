package dev.vigil.cli;

import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.VideoFrames;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.evaluation.Figures;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The end-to-end demo on generated footage: learns a synthetic walkway camera from its normal video, then watches a
 * second video in which a vehicle crosses the scene, and reports the frames that raise an alarm.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate the sample stream, learn it, then run the service's path in this process: embedded "
                + "Kafka broker, model published, scoring topology, the clip with an intruder replayed as a camera, "
                + "alerts printed as they happen, overlays written.")
public class DemoCommand implements Callable<Integer> {
    static final int WIDTH = 320;
    static final int HEIGHT = 240;
    static final int FPS = 10;
    static final long SCENE_SEED = 11;
    static final String CAMERA = "walkway";

    @Option(names = "--backbone", paramLabel = "<backbone>", description = EngineOptions.BACKBONE_HELP)
    Path backbone;

    @Option(names = "--streams", paramLabel = "<dir>", defaultValue = "sample-streams",
            description = "Where the generated sample videos go (default: ${DEFAULT-VALUE})")
    Path streams;

    @Option(names = "--out", paramLabel = "<dir>", defaultValue = "target/demo",
            description = "Where the model and overlays go (default: ${DEFAULT-VALUE})")
    Path out;

    @Spec
    CommandSpec spec;

    @Option(names = "--speed", paramLabel = "X", defaultValue = "2",
            description = "Replay speed of the watched clip, 1 = real time (default: ${DEFAULT-VALUE})")
    double speed;

    @Option(names = "--http-port", paramLabel = "<port>", defaultValue = "0",
            description = "Also serve the dashboard, metrics and health checks on localhost:<port>, with no "
                    + "authentication: it is the demo's own machine (0: none; default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--keep", description = "With --http-port: keep the broker, the scorer and the dashboard up "
            + "after the report, until Ctrl-C")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        if (httpPort < 0 || httpPort > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--http-port must be a port number "
                    + "(1-65535), or 0 for no dashboard; got " + httpPort);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        // before anything is generated: without a backbone the demo stops at once, saying how to get one
        BackboneManifest manifest = BackboneManifest.read(EngineOptions.locate(backbone));
        Path normal = streams.resolve("walkway-normal.mp4");
        Path intruder = streams.resolve("walkway-intruder.mp4");
        // one scene: the intruder clip continues the normal one (scene frames 600-719), a vehicle crossing in 660-689;
        // a minute of normal footage lets every pedestrian wrap around the scene once
        generate(normal, 0, 600, -1, -1, stdout);
        generate(intruder, 600, 120, 660, 690, stdout);
        dev.vigil.files.PrivateFiles.createDirectories(out);
        Path modelFile = out.resolve("walkway.vgm");
        Preprocessing pre = new Preprocessing(Preprocessing.Mode.RESIZE, WIDTH, HEIGHT);
        try (OnnxBackbone bb = OnnxBackbone.load(manifest, OnnxBackbone.Device.AUTO)) {
            // the video default, as train would fit the clip: the motion stream and the patch memory
            PadimModel model = new Trainer(bb, pre, new FitOptions(100, 1, FitOptions.DEFAULT_EPS, 16,
                    FitOptions.DEFAULT_HOLD_OUT_EVERY, FitOptions.DEFAULT_MAX_HELD_OUT, CAMERA),
                    dev.vigil.padim.ThresholdRule.DEFAULT, dev.vigil.padim.Scoring.VIDEO)
                    .fit(FrameCodec.roundTrip(FrameCodec.DEFAULT, MediaInputs.images(MediaInputs.frames(List.of(normal)))));
            ModelFile.write(modelFile, model);
            double threshold = model.info().threshold().threshold();
            model.close();
            stdout.printf("learnt %s from %d normal frames; threshold %.2f%n", modelFile,
                    model.info().trainingFrames(), threshold);
            stdout.flush();
            watch(bb, modelFile, intruder, pre, threshold, stdout);
        }
        return 0;
    }

    /**
     * The service's path, all in this process (the model learnt the frames as they will arrive, through JPEG): an embedded Kafka broker, the model published to it, the scoring
     * topology, the intruder clip replayed as camera frames, and the alerts printed as they arrive.
     */
    private void watch(OnnxBackbone bb, Path modelFile, Path clip, Preprocessing pre, double threshold,
                       PrintWriter stdout) throws Exception {
        // a fresh broker and state each run, so the demo's output is this run's alone
        Path kafkaDir = out.resolve("kafka");
        Path stateDir = out.resolve("state");
        org.apache.kafka.common.utils.Utils.delete(kafkaDir.toFile());
        org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
        int frames = 120;
        try (EmbeddedBroker broker = EmbeddedBroker.start(kafkaDir, 0);
             ScoringEngine engine = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            KafkaConnection kafka = broker.connection();
            stdout.printf("Kafka broker on %s; publishing the model for camera %s%n", broker.bootstrap(), CAMERA);
            ModelPublisher.publish(kafka, CAMERA, modelFile, System.currentTimeMillis(),
                    dev.vigil.stream.ModelChunks.DEFAULT_CHUNK_BYTES);
            io.micrometer.prometheusmetrics.PrometheusMeterRegistry metrics = httpPort == 0 ? null : Metrics.registry();
            try (ScoringService service = ScoringService.start(kafka, engine, bb.manifest().name(),
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(stateDir), metrics);
                 TopicReader alerts = new TopicReader(kafka, Topics.ALERTS, CAMERA, true);
                 dev.vigil.web.DashboardFeed feed = httpPort == 0 ? null : dev.vigil.web.DashboardFeed.start(kafka);
                 dev.vigil.web.WebServer web = httpPort == 0 ? null : dev.vigil.web.WebServer.start(
                         new java.net.InetSocketAddress("localhost", httpPort), new dev.vigil.web.Health(
                                 () -> new dev.vigil.web.Health.Check(true, java.util.Map.of()),
                                 () -> new dev.vigil.web.Health.Check(true, java.util.Map.of("state",
                                         service.state().name()))),
                         metrics, new dev.vigil.web.DashboardApi(feed, kafka), dev.vigil.web.Access.open())) {
                if (web != null) {
                    stdout.printf("dashboard on http://localhost:%d/%n", web.port());
                }
                Thread printer = new Thread(() -> alerts.read(new TopicReader.Until.Forever(), r -> {
                    Alert a = Topics.ALERTS.read(r.value());
                    stdout.printf("ALERT %-6s %s  frames %d-%d  peak %.1f (threshold %.1f)  boxes %s%n", a.type(),
                            a.id(), a.startSeq(), a.lastSeq(), a.peakScore(), a.threshold(), a.boxes().stream()
                                    .map(b -> b.width() + "x" + b.height() + "@" + b.x() + "," + b.y()).toList());
                    stdout.flush();
                }, r -> false), "vigil-demo-alerts");
                printer.setDaemon(true);
                printer.start();
                stdout.printf("replaying %s as camera %s at %.1fx%n", clip, CAMERA, speed);
                stdout.flush();
                Replayer.replay(kafka, CAMERA, clip.toString(), FrameCodec.DEFAULT, speed);

                List<AnomalyMapRecord> maps = new ArrayList<>();
                try (TopicReader reader = new TopicReader(kafka, Topics.ANOMALY_MAPS, CAMERA, true)) {
                    reader.read(new TopicReader.Until.Idle(Duration.ofSeconds(60)),
                            r -> maps.add(Topics.ANOMALY_MAPS.read(r.value())), r -> maps.size() >= frames);
                }
                // the last alert record follows its frame's map within one commit
                alerts.stop();
                printer.join(2000);
                report(maps, clip, pre, threshold, stdout);
                if (web != null && keep) {
                    stdout.printf("the dashboard stays on http://localhost:%d/ until Ctrl-C%n", web.port());
                    stdout.flush();
                    new java.util.concurrent.CountDownLatch(1).await();
                }
            }
        }
    }

    private void report(List<AnomalyMapRecord> maps, Path clip, Preprocessing pre, double threshold,
                        PrintWriter stdout) throws Exception {
        int[] alarms = {0, 0};
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<RgbImage> video = VideoFrames.readAll(clip);
        for (AnomalyMapRecord m : maps) {
            int i = (int) m.seq();
            boolean truth = i >= 60 && i < 90;
            alarms[0] += m.anomalous() && truth ? 1 : 0;
            alarms[1] += m.anomalous() && !truth ? 1 : 0;
            if (i % 10 == 5) {
                stdout.printf("frame %3d score %6.2f %s%n", i, m.score(), m.anomalous() ? "ALARM" : "");
            }
            if (i == 40 || i == 75) {
                AnomalyMapRecord.EncodedMap map = m.map();
                float[] full = dev.vigil.padim.AnomalyMaps.upsampleBilinear(map.decode(), map.height(), map.width(),
                        map.mapHeight(), map.mapWidth());
                tiles.add(Figures.overlay(pre.apply(FrameCodec.DEFAULT.roundTrip(video.get(i))), full,
                        map.mapWidth(), map.mapHeight(), null, 0f, (float) (2 * threshold)));
                captions.add("frame " + i + ": score " + String.format("%.1f", m.score()));
            }
        }
        Path overlay = out.resolve("walkway-overlay.png");
        if (tiles.size() == 2) {
            Figures.writeOverlayStrip(overlay, tiles, captions);
        }
        stdout.printf("scored %d of %d frames through Kafka; alarms on %d of 30 intruder frames, %d of 90 normal "
                + "frames; overlays in %s%n", maps.size(), video.size(), alarms[0], alarms[1], overlay);
    }

    /** Writes a synthetic clip unless it is already there (it is deterministic for its seed). */
    private static void generate(Path file, int first, int frames, int anomalyStart, int anomalyEnd, PrintWriter out)
            throws Exception {
        if (Files.isRegularFile(file)) {
            return;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        SyntheticScene scene = new SyntheticScene(WIDTH, HEIGHT, SCENE_SEED, anomalyStart, anomalyEnd);
        try (VideoWriter writer = VideoWriter.open(file, WIDTH, HEIGHT, FPS)) {
            for (int i = first; i < first + frames; i++) {
                writer.write(scene.frame(i));
            }
        }
        out.printf("generated %s (%d frames, %s)%n", file, frames, VideoWriter.encoderName());
    }
}
