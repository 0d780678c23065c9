package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.ingest.CameraIngest;
import dev.vigil.ingest.Ingestor;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.Alert;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.testing.LiveSource;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole live path: a real ffmpeg process plays a camera, sending a clip over UDP in real time; ingest reads it
 * into the frames topic, the scoring service scores it with the camera's published model, and an alert is raised
 * when a vehicle crosses the walkway.
 */
class LiveAlertTest {
    private static final int W = 160;
    private static final int H = 128;
    /** the vehicle crosses during scene frames 200-224 */
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 200, 225);

    @Test
    void aLiveCameraThatSeesAVehicleCrossingRaisesAnAlert(@TempDir Path dir) throws Exception {
        assumeTrue(LiveSource.ffmpegOnPath(), "ffmpeg is not on the PATH: this test runs a real ffmpeg as the "
                + "camera (.ci/run installs Debian's package; or apt-get install ffmpeg)");
        // ten seconds, looped by ffmpeg: the vehicle comes four seconds in, after normal traffic
        Path clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, IntStream.range(160, 260).mapToObj(SCENE::frame).toList(), 10);
        int port = LiveSource.freeUdpPort();
        Path modelFile = dir.resolve("gate.vgm");
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20))) {
            PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                    new FitOptions(40, 3, 0.01, 16, 10, 500, "gate"))
                    .fit(IntStream.range(0, 120).mapToObj(SCENE::frame).iterator());
            // ten held-back frames make a loose default threshold; the vehicle scores far above this one
            ModelFile.write(modelFile, new PadimModel(model.info().withThreshold(
                    model.info().threshold().withThreshold(30)), model.gaussian()));
            model.gaussian().close();
            KafkaConnection kafka = broker.connection();
            ModelPublisher.publish(kafka, "gate", modelFile, 1, 1 << 20);
            // live frames older than this are skipped: generous, for a scorer sharing a small CI machine
            ScoringSettings settings = new ScoringSettings(64, Duration.ofSeconds(60),
                    ScoringSettings.DEFAULT.alerts(), 16, 8);
            CameraIngest.Settings gate = new CameraIngest.Settings("gate", "udp://127.0.0.1:" + port, 5,
                    FrameCodec.parse("jpeg:90"), Duration.ofMillis(100), Duration.ofMillis(400));
            List<Alert> alerts = new CopyOnWriteArrayList<>();
            try (ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123", settings,
                    ScoringService.Options.defaults(dir.resolve("state")));
                 // the camera outlives ingest: a camera gone silent would hold ingest's read for its 5 s timeout
                 LiveSource camera = LiveSource.udp(clip, port, dir.resolve("ffmpeg.log"));
                 Ingestor ingestor = Ingestor.start(kafka, List.of(gate));
                 TopicReader reader = new TopicReader(kafka, Topics.ALERTS, "gate", true)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    reader.read(new TopicReader.Until.Idle(Duration.ofMillis(300)),
                            r -> alerts.add(Alert.fromJson(r.value())), r -> isNew(alerts));
                    return isNew(alerts);
                });
                assertThat(ingestor.failed()).isZero();
            }

            Alert alert = alerts.get(0);
            assertThat(alert.type()).isEqualTo(Alert.Type.NEW);
            assertThat(alert.camera()).isEqualTo("gate");
            assertThat(alert.modelVersion()).isEqualTo(1);
            assertThat(alert.peakScore()).isGreaterThan(30);
            // the box lies on the vehicle's rows (y from H/2, H/5 high), not on a pedestrian elsewhere
            assertThat(alert.boxes()).isNotEmpty().allSatisfy(box -> {
                assertThat(box.y()).isLessThan(H / 2 + H / 5);
                assertThat(box.y() + box.height()).isGreaterThan(H / 2);
            });
            // and the live frame with the peak score shows the yellow vehicle
            RgbImage peak = frame(kafka, alert.peakSeq());
            assertThat(yellowPixels(peak)).isGreaterThan(200);
        }
    }

    private static boolean isNew(List<Alert> alerts) {
        return alerts.stream().anyMatch(a -> a.type() == Alert.Type.NEW);
    }

    /** The camera's frame with this sequence number, from the frames topic. */
    private static RgbImage frame(KafkaConnection kafka, long seq) throws Exception {
        List<FrameRecords.Frame> found = new CopyOnWriteArrayList<>();
        try (TopicReader reader = new TopicReader(kafka, Topics.FRAMES, "gate", true)) {
            reader.read(new TopicReader.Until.CaughtUp(), r -> {
                FrameRecords.Frame f = FrameRecords.fromRecord(r);
                if (f.seq() == seq) {
                    found.add(f);
                }
            }, r -> !found.isEmpty());
        }
        assertThat(found).hasSize(1).allSatisfy(f -> assertThat(f.live()).isTrue());
        return FrameCodec.decode(found.get(0).image());
    }

    /** Pixels of the vehicle's body colour (245, 225, 70), give or take JPEG and the video codec. */
    private static int yellowPixels(RgbImage image) {
        int n = 0;
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                if (image.get(x, y, 0) > 200 && image.get(x, y, 1) > 180 && image.get(x, y, 2) < 130) {
                    n++;
                }
            }
        }
        return n;
    }
}
