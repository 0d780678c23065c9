package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.ingest.Replayer;
import dev.vigil.learning.PublishingLearner;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelStatus;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A scorer that learns: a camera with no model counts its learning phase's frames as they pass, its model is fitted
 * on exactly those frames and published, and the camera is scored with it, with no restart; the phase survives
 * restarts of the scorer, whether it was counting or fitting. Against a real broker, backbone and video.
 */
class ScorerLearningTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);
    private static final String CAMERA = "lot";

    @Test
    void aCameraWithNoModelLearnsFromItsStreamThenIsScoredWithNoRestart(@TempDir Path dir) throws Exception {
        Path learn = clip(dir, "learn.mp4", 0, 120);
        Path later = clip(dir, "later.mp4", 120, 150);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            KafkaConnection kafka = broker.connection();
            // 110 frames: blocks 90-99 are held back, so the model gets a threshold from its own stream
            try (ScoringService service = start(kafka, scoring, dir, learner(bb, kafka), 110)) {
                Replayer.replay(kafka, CAMERA, learn.toString(), FrameCodec.parse("png"), 0);
                long version = awaitModel(kafka);
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);

                ModelInfo info = ModelFile.readInfo(ModelVersions.download(kafka, CAMERA, version, dir.resolve("got")));
                assertThat(info.provenance().kind()).isEqualTo("learn");
                assertThat(info.provenance().frames()).isEqualTo(110);
                assertThat(info.threshold().frames()).isEqualTo(10);
                assertThat(info.threshold().threshold()).isFinite();

                Replayer.replay(kafka, CAMERA, later.toString(), FrameCodec.parse("png"), 0);
                // frames that arrived while the fit ran are not scored; every frame of the later clip is
                await().atMost(Duration.ofSeconds(60)).until(() -> maps(kafka, "later.mp4").size() == 30);
                assertThat(maps(kafka, "")).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(version));

                List<ModelStatus> statuses = statuses(kafka, 3, ModelStatus.SCORING);
                assertThat(statuses.get(0).state()).isEqualTo(ModelStatus.LEARNING);
                assertThat(statuses.get(0).frames()).isEqualTo(1);
                assertThat(statuses.get(0).reason()).isEqualTo("no model");
                assertThat(statuses).anySatisfy(s -> {
                    assertThat(s.state()).isEqualTo(ModelStatus.FITTING);
                    assertThat(s.frames()).isEqualTo(110);
                    assertThat(s.target()).isEqualTo(110);
                });
                assertThat(statuses.get(statuses.size() - 1).modelVersion()).isEqualTo(version);
                // progress went up in steps of 5 %, not a record per frame
                assertThat(statuses).hasSizeBetween(10, 24);
            }
        }
    }

    @Test
    void aLearningPhaseSurvivesRestartsWhileCountingAndWhileFitting(@TempDir Path dir) throws Exception {
        Path first = clip(dir, "first.mp4", 0, 30);
        Path second = clip(dir, "second.mp4", 30, 70);
        Path third = clip(dir, "third.mp4", 70, 90);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            KafkaConnection kafka = broker.connection();
            // a fit that never ends: the instance stops while it is fitting, as one would that crashed then
            CountDownLatch never = new CountDownLatch(1);
            CameraLearner stuck = (camera, partition, from, to, fps) -> {
                never.await();
                throw new IllegalStateException("unreachable");
            };
            long firstCapture;
            try (ScoringService service = start(kafka, scoring, dir, stuck, 60)) {
                Replayer.replay(kafka, CAMERA, first.toString(), FrameCodec.parse("png"), 0);
                await().atMost(Duration.ofSeconds(60)).until(() -> last(kafka).frames() == 30);
            }
            firstCapture = ScoringTopologyTest.read(kafka, Topics.FRAMES).get(0).timestamp();
            try (ScoringService service = start(kafka, scoring, dir, stuck, 60)) {
                // counting carries on from 30: the phase completes 30 frames into this clip, not 60
                Replayer.replay(kafka, CAMERA, second.toString(), FrameCodec.parse("png"), 0);
                await().atMost(Duration.ofSeconds(60)).until(() -> ModelStatus.FITTING.equals(last(kafka).state()));
                assertThat(last(kafka).frames()).isEqualTo(60);
            }
            assertThat(ModelVersions.read(kafka, CAMERA).complete()).isEmpty();
            try (ScoringService service = start(kafka, scoring, dir, learner(bb, kafka), 60)) {
                // the phase was fitting: the restarted task fits it again, from the topic, with no new frame
                long version = awaitModel(kafka);
                ModelInfo info = ModelFile.readInfo(ModelVersions.download(kafka, CAMERA, version, dir.resolve("got")));
                assertThat(info.provenance().frames()).isEqualTo(60);
                assertThat(info.provenance().from().toEpochMilli()).isEqualTo(firstCapture);

                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);
                Replayer.replay(kafka, CAMERA, third.toString(), FrameCodec.parse("png"), 0);
                await().atMost(Duration.ofSeconds(60)).until(() -> maps(kafka, "third.mp4").size() == 20);
                assertThat(maps(kafka, "")).hasSize(20).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(version));
                await().atMost(Duration.ofSeconds(30)).until(() -> ModelStatus.SCORING.equals(last(kafka).state()));
            }
        }
    }

    @Test
    void aSceneChangeIsOneAlertAndTheCameraLearnsItsNewSceneWithoutScoringStopping(@TempDir Path dir) throws Exception {
        Path before = clip(dir, "before.mp4", 0, 120);
        // another seed: another walkway, which the first model finds anomalous everywhere
        SyntheticScene moved = new SyntheticScene(W, H, 9, -1, -1);
        Path after = dir.resolve("after.mp4");
        VideoWriter.write(after, IntStream.range(0, 150).mapToObj(moved::frame).toList(), 10);
        Path later = dir.resolve("later.mp4");
        VideoWriter.write(later, IntStream.range(150, 180).mapToObj(moved::frame).toList(), 10);
        ScoringSettings settings = new ScoringSettings(256, Duration.ofSeconds(10),
                dev.vigil.alerting.AlertPolicy.DEFAULT, 16, 8, new dev.vigil.alerting.SceneChangePolicy(20, 0.7, 0.3),
                new AutoLearning(110, null, 0), true, ScoringSettings.Limits.DEFAULT);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20));
             ScoringService service = ScoringService.start(kafka(broker), scoring, "mobilenetv2-l123", settings,
                     ScoringService.Options.defaults(dir.resolve("state")), learner(bb, kafka(broker)))) {
            KafkaConnection kafka = broker.connection();
            Replayer.replay(kafka, CAMERA, before.toString(), FrameCodec.parse("png"), 0);
            long first = awaitModel(kafka);
            await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);

            Replayer.replay(kafka, CAMERA, after.toString(), FrameCodec.parse("png"), 0);
            await().atMost(Duration.ofSeconds(120)).until(() -> ModelVersions.read(kafka, CAMERA).complete().size() == 2);
            long second = ModelVersions.read(kafka, CAMERA).active();
            assertThat(second).isGreaterThan(first);
            await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 2);
            Replayer.replay(kafka, CAMERA, later.toString(), FrameCodec.parse("png"), 0);
            await().atMost(Duration.ofSeconds(60)).until(() -> maps(kafka, "later.mp4").size() == 30);

            List<dev.vigil.stream.Alert> alerts = ScoringTopologyTest.read(kafka, Topics.ALERTS).stream()
                    .map(r -> dev.vigil.stream.Alert.fromJson(r.value())).toList();
            List<dev.vigil.stream.Alert> scene = alerts.stream()
                    .filter(a -> a.label().equals(dev.vigil.stream.Alert.SCENE_CHANGE)).toList();
            // one scene change, opened under the first model and ended by the model learnt on the new scene
            assertThat(scene).extracting(dev.vigil.stream.Alert::type).containsExactly(dev.vigil.stream.Alert.Type.NEW, dev.vigil.stream.Alert.Type.END);
            assertThat(scene.get(0).modelVersion()).isEqualTo(first);
            assertThat(scene.get(1).modelVersion()).isEqualTo(second);
            // no flood: at most the anomaly alert that was open when the scene changed
            assertThat(alerts.stream().filter(a -> a.type() == dev.vigil.stream.Alert.Type.NEW).count()).isLessThanOrEqualTo(2);
            // the camera kept scoring with its first model while it learnt the second
            assertThat(maps(kafka, "after.mp4")).isNotEmpty()
                    .allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(first));
            assertThat(maps(kafka, "later.mp4")).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(second));
            assertThat(statuses(kafka, 1, ModelStatus.FITTING)).anySatisfy(st -> {
                assertThat(st.reason()).isEqualTo("scene change");
                assertThat(st.modelVersion()).isEqualTo(first);
            });
        }
    }

    private static KafkaConnection kafka(EmbeddedBroker broker) {
        return broker.connection();
    }

    private static Path clip(Path dir, String name, int from, int to) throws Exception {
        Path file = dir.resolve(name);
        VideoWriter.write(file, IntStream.range(from, to).mapToObj(SCENE::frame).toList(), 10);
        return file;
    }

    private static CameraLearner learner(OnnxBackbone bb, KafkaConnection kafka) {
        return new PublishingLearner(bb, kafka, new Preprocessing(Preprocessing.Mode.RESIZE, W, H), 10,
                camera -> ThresholdRule.DEFAULT);
    }

    private static ScoringService start(KafkaConnection kafka, ScoringEngine scoring, Path dir, CameraLearner learner,
                                        int frames) throws Exception {
        // every frame counts (no sampling): the clips are short
        return ScoringService.start(kafka, scoring, "mobilenetv2-l123",
                ScoringSettings.DEFAULT.withLearning(new AutoLearning(frames, null, 0), false),
                ScoringService.Options.defaults(dir.resolve("state")), learner);
    }

    /** The anomaly maps so far of frames from a source whose name ends so. */
    private static List<AnomalyMapRecord> maps(KafkaConnection kafka, String source) {
        return ScoringTopologyTest.read(kafka, Topics.ANOMALY_MAPS).stream()
                .map(r -> AnomalyMapRecord.fromJson(r.value())).filter(m -> m.frame().source().endsWith(source)).toList();
    }

    private static long awaitModel(KafkaConnection kafka) {
        long[] version = {-1};
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            var complete = ModelVersions.read(kafka, CAMERA).complete();
            if (!complete.isEmpty()) {
                version[0] = complete.get(0).version();
            }
            return !complete.isEmpty();
        });
        return version[0];
    }

    /** The camera's model states so far, oldest first, once {@code count} of them are there and one is {@code state}. */
    private static List<ModelStatus> statuses(KafkaConnection kafka, int count, String state) {
        List<ModelStatus>[] out = new List[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            out[0] = ScoringTopologyTest.read(kafka, Topics.CAMERA_STATUS).stream()
                    .filter(r -> ModelStatus.key(CAMERA).equals(r.key()))
                    .map(r -> ModelStatus.fromJson(r.value())).toList();
            return out[0].size() >= count && out[0].stream().anyMatch(s -> s.state().equals(state));
        });
        return out[0];
    }

    private static ModelStatus last(KafkaConnection kafka) {
        List<ConsumerRecord<String, byte[]>> records = ScoringTopologyTest.read(kafka, Topics.CAMERA_STATUS).stream()
                .filter(r -> ModelStatus.key(CAMERA).equals(r.key())).toList();
        return records.isEmpty() ? new ModelStatus(CAMERA, ModelStatus.KIND, "none", 0, 0, 0, 0, null, null, 0)
                : ModelStatus.fromJson(records.get(records.size() - 1).value());
    }
}
