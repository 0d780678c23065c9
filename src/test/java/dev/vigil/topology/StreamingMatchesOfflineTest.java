package dev.vigil.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * A UCSD Ped2 camera learns its model from its own stream ({@code replay} of a training clip, then {@code learn
 * --publish}), and a test clip replayed through Kafka and the topology is then scored frame for frame as
 * {@code eval --model} scores it offline with the model {@code train} fits on the same clip, when both see the same
 * pixels (png), with the same frame AUROC: one code path, all through the command line. A second camera does the same
 * with a motion stream ({@code --motion 3 --frame-score top:0.05}): {@code learn} fits what {@code train} fits, and the
 * topology, which keeps each camera's last frame, scores what {@code eval --model} scores clip by clip. Then a third
 * camera learns the plain model inside the scorer (auto-learning) and reaches the same frame AUROC on the test clip.
 */
class StreamingMatchesOfflineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyReplayedFrameIsScoredOnceWithTheOfflineScore(@TempDir Path dir) throws Exception {
        Path ped2 = SharedData.dataset("ucsd-ped2");
        String backbone = SharedData.backbone("mobilenetv2-l123").toString();
        // one training clip and one test clip, laid out as a clips dataset
        Path data = dir.resolve("ped2-subset");
        Files.createDirectories(data.resolve("train"));
        Files.createDirectories(data.resolve("test"));
        Files.createSymbolicLink(data.resolve("train/Train001.mp4"), ped2.resolve("train/Train001.mp4").toAbsolutePath());
        for (String f : List.of("Test004.mp4", "Test004_gt", "labels.json")) {
            Files.createSymbolicLink(data.resolve("test").resolve(f), ped2.resolve("test").resolve(f).toAbsolutePath());
        }
        Path model = dir.resolve("ped2.vgm");
        ok(VigilRun.of("train", "--backbone", backbone, "--input", data.resolve("train").toString(), "--size",
                "224x160", "--features", "50", "--frame-codec", "png", "--out", model.toString()));
        ok(VigilRun.of("eval", "--backbone", backbone, "--dataset", data.toString(), "--layout", "clips", "--model",
                model.toString(), "--frame-codec", "png", "--report", dir.resolve("report").toString()));
        Map<Long, Double> offline = new HashMap<>();
        for (JsonNode s : JSON.readTree(dir.resolve("report/report.json").toFile()).path("scores")) {
            offline.put(s.path("frame").asLong(), s.path("score").asDouble());
        }
        assertThat(offline).hasSize(180);
        // the same with a motion stream
        Path motionModel = dir.resolve("ped2-motion.vgm");
        String[] motion = {"--motion", "3", "--frame-score", "top:0.05"};
        ok(VigilRun.of(concat(new String[]{"train", "--backbone", backbone, "--input", data.resolve("train").toString(),
                "--size", "224x160", "--features", "50", "--frame-codec", "png", "--out", motionModel.toString()},
                motion)));
        ok(VigilRun.of("eval", "--backbone", backbone, "--dataset", data.toString(), "--layout", "clips", "--model",
                motionModel.toString(), "--frame-codec", "png", "--report", dir.resolve("report-motion").toString()));
        Map<Long, Double> offlineMotion = new HashMap<>();
        for (JsonNode s : JSON.readTree(dir.resolve("report-motion/report.json").toFile()).path("scores")) {
            offlineMotion.put(s.path("frame").asLong(), s.path("score").asDouble());
        }

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(Path.of(backbone));
             ScoringEngine engine = new ScoringEngine(bb, 16, Duration.ofMillis(20))) {
            String bootstrap = broker.bootstrap();
            // the camera learns its model from its own stream: the training clip replayed as the camera, then learn
            ok(VigilRun.of("replay", "--bootstrap", bootstrap, "--camera", "ped2-test004", "--file",
                    ped2.resolve("train/Train001.mp4").toString(), "--max-speed", "--frame-codec", "png"));
            Path learnt = dir.resolve("learnt.vgm");
            ok(VigilRun.of("learn", "--bootstrap", bootstrap, "--camera", "ped2-test004", "--frames", "1000000",
                    "--backbone", backbone, "--size", "224x160", "--features", "50", "--out", learnt.toString(),
                    "--publish"));
            ModelInfo learntInfo = ModelFile.readInfo(learnt);
            ModelInfo offlineInfo = ModelFile.readInfo(model);
            assertThat(learntInfo.trainingFrames()).isEqualTo(offlineInfo.trainingFrames());
            assertThat(learntInfo.threshold().threshold()).isCloseTo(offlineInfo.threshold().threshold(),
                    within(1e-4 * offlineInfo.threshold().threshold()));
            long trainFrames = learntInfo.provenance().frames();
            ok(VigilRun.of("replay", "--bootstrap", bootstrap, "--camera", "ped2-motion", "--file",
                    ped2.resolve("train/Train001.mp4").toString(), "--max-speed", "--frame-codec", "png"));
            Path learntMotion = dir.resolve("learnt-motion.vgm");
            ok(VigilRun.of(concat(new String[]{"learn", "--bootstrap", bootstrap, "--camera", "ped2-motion", "--frames",
                    "1000000", "--backbone", backbone, "--size", "224x160", "--features", "50", "--out",
                    learntMotion.toString(), "--publish"}, motion)));
            ModelInfo learntMotionInfo = ModelFile.readInfo(learntMotion);
            ModelInfo trainedMotionInfo = ModelFile.readInfo(motionModel);
            assertThat(learntMotionInfo.motion().trainingPairs()).isEqualTo(trainedMotionInfo.motion().trainingPairs())
                    .isPositive();
            assertThat(learntMotionInfo.motion().motionScale()).isCloseTo(trainedMotionInfo.motion().motionScale(),
                    within(1e-4 * trainedMotionInfo.motion().motionScale()));
            assertThat(learntMotionInfo.threshold().threshold()).isCloseTo(trainedMotionInfo.threshold().threshold(),
                    within(1e-4 * trainedMotionInfo.threshold().threshold()));
            try (ScoringService service = ScoringService.start(broker.connection(), engine, bb.manifest().name(),
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                for (String camera : List.of("ped2-test004", "ped2-motion")) {
                    ok(VigilRun.of("replay", "--bootstrap", bootstrap, "--camera", camera, "--file",
                            ped2.resolve("test/Test004.mp4").toString(), "--max-speed", "--frame-codec", "png"));
                }
                // the training clip's frames came before the model: counted as without one (or, had the model come
                // first, scored); the test clip's all scored
                await().atMost(Duration.ofMinutes(3)).until(() ->
                        service.stats().scored() + service.stats().noModel() >= 2 * (trainFrames + 180));
            }
            // the motion stream through Kafka: each frame differenced with the camera's frame before it
            VigilRun motionScores = VigilRun.of("scores", "--bootstrap", bootstrap, "--camera", "ped2-motion",
                    "--from-beginning", "--until-idle", "3");
            ok(motionScores);
            List<JsonNode> motionAll = motionScores.out().lines().map(StreamingMatchesOfflineTest::json).toList();
            List<JsonNode> motionLines = motionAll.subList(motionAll.size() - 180, motionAll.size());
            for (JsonNode l : motionLines) {
                double expected = offlineMotion.get(l.path("source_frame").asLong());
                assertThat(l.path("score").asDouble()).as("motion, frame %d", l.path("seq").asLong())
                        .isCloseTo(expected, within(1e-4 * expected));
            }
            VigilRun scores = VigilRun.of("scores", "--bootstrap", bootstrap, "--camera", "ped2-test004",
                    "--from-beginning", "--until-idle", "3");
            ok(scores);
            List<JsonNode> all = scores.out().lines().map(StreamingMatchesOfflineTest::json).toList();
            assertThat(all.size()).isGreaterThanOrEqualTo(180);
            List<JsonNode> lines = all.subList(all.size() - 180, all.size());
            assertThat(lines).extracting(l -> l.path("seq").asLong())
                    .containsExactlyElementsOf(IntStream.range(0, 180).mapToObj(i -> (long) i).toList());
            for (JsonNode l : lines) {
                assertThat(l.path("camera").asText()).isEqualTo("ped2-test004");
                assertThat(l.has("timestamp")).isTrue();
                double expected = offline.get(l.path("source_frame").asLong());
                assertThat(l.path("score").asDouble()).as("frame %d", l.path("seq").asLong())
                        .isCloseTo(expected, within(1e-4 * expected));
            }
            // the frame AUROC of the learnt model through Kafka is the offline evaluation's
            Map<Long, Boolean> labels = new HashMap<>();
            for (JsonNode s : JSON.readTree(dir.resolve("report/report.json").toFile()).path("scores")) {
                labels.put(s.path("frame").asLong(), s.path("label").asInt() == 1);
            }
            double[] streamed = lines.stream().mapToDouble(l -> l.path("score").asDouble()).toArray();
            boolean[] truth = new boolean[lines.size()];
            for (int i = 0; i < truth.length; i++) {
                truth[i] = labels.get(lines.get(i).path("source_frame").asLong());
            }
            double offlineAuroc = JSON.readTree(dir.resolve("report/report.json").toFile()).path("image_auroc").asDouble();
            assertThat(dev.vigil.evaluation.AnomalyMetrics.imageAuroc(streamed, truth)).isCloseTo(offlineAuroc,
                    within(0.01));

            // the same, with the scorer learning the camera by itself: a learning phase as long as the training clip
            String camera = "ped2-auto";
            try (ScoringService service = ScoringService.start(broker.connection(), engine, bb.manifest().name(),
                    ScoringSettings.DEFAULT.withLearning(new AutoLearning((int) trainFrames, null, 0), false),
                    ScoringService.Options.defaults(dir.resolve("state-auto")),
                    new dev.vigil.learning.PublishingLearner(bb, broker.connection(),
                            new dev.vigil.backbone.Preprocessing(dev.vigil.backbone.Preprocessing.Mode.RESIZE, 224, 160),
                            50, c -> dev.vigil.padim.ThresholdRule.DEFAULT))) {
                ok(VigilRun.of("replay", "--bootstrap", bootstrap, "--camera", camera, "--file",
                        ped2.resolve("train/Train001.mp4").toString(), "--max-speed", "--frame-codec", "png"));
                await().atMost(Duration.ofMinutes(3)).until(() ->
                        !dev.vigil.stream.ModelVersions.read(broker.connection(), camera).complete().isEmpty()
                                && service.stats().modelsLoaded() >= 1);
                ok(VigilRun.of("replay", "--bootstrap", bootstrap, "--camera", camera, "--file",
                        ped2.resolve("test/Test004.mp4").toString(), "--max-speed", "--frame-codec", "png"));
                await().atMost(Duration.ofMinutes(3)).until(() -> service.stats().scored() >= 180);
            }
            VigilRun auto = VigilRun.of("scores", "--bootstrap", bootstrap, "--camera", camera, "--from-beginning",
                    "--until-idle", "3");
            ok(auto);
            List<JsonNode> autoLines = auto.out().lines().map(StreamingMatchesOfflineTest::json).toList();
            assertThat(autoLines).hasSize(180);
            double[] autoScores = autoLines.stream().mapToDouble(l -> l.path("score").asDouble()).toArray();
            boolean[] autoTruth = new boolean[autoLines.size()];
            for (int i = 0; i < autoTruth.length; i++) {
                autoTruth[i] = labels.get(autoLines.get(i).path("source_frame").asLong());
            }
            assertThat(dev.vigil.evaluation.AnomalyMetrics.imageAuroc(autoScores, autoTruth)).isCloseTo(offlineAuroc,
                    within(0.01));
        }
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b))
                .toArray(String[]::new);
    }

    private static void ok(VigilRun run) {
        assertThat(run.exit()).as(run.toString()).isZero();
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new IllegalStateException("not JSON: " + line, e);
        }
    }
}
