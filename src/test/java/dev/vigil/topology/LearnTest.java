package dev.vigil.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * `vigil learn` against a real broker: a camera's replayed frames fitted from the frames topic give the model that
 * `vigil train` fits on the same file, with its provenance; sampled by capture time; published as a version that
 * `model list` shows and the scorer uses.
 */
class LearnTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);

    private static VigilRun ok(VigilRun run) {
        assertThat(run.exit()).as(run.toString()).isZero();
        return run;
    }

    @Test
    void aCameraLearntFromItsFramesOnKafkaScoresWithTheModelTrainFitsOffline(@TempDir Path dir) throws Exception {
        Path clip = dir.resolve("yard.mp4");
        VideoWriter.write(clip, IntStream.range(0, 110).mapToObj(SCENE::frame).toList(), 10);
        String backbone = SharedData.backbone("mobilenetv2-l123").toString();
        List<String> engine = List.of("--backbone", backbone, "--size", W + "x" + H, "--features", "10", "--batch", "16");
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            var kafka = broker.connection();
            String bootstrap = broker.bootstrap();
            assertThat(Replayer.replay(kafka, "yard", clip.toString(), FrameCodec.parse("png"), 0)).isEqualTo(110);

            // the paper's PaDiM, not the video default: the scorer below scores this version's replays twice and
            // compares them frame by frame, and a motion stream starts a new sequence at a model swap by design
            List<String> paper = List.of("--motion", "0", "--frame-score", "max");
            VigilRun learnt = ok(VigilRun.of(args(concat(List.of("learn", "--camera", "yard", "--frames", "110",
                    "--out", dir.resolve("learnt.vgm").toString(), "--publish", "--bootstrap", bootstrap), paper),
                    engine)));
            Matcher m = Pattern.compile("as version (\\d+)").matcher(learnt.out());
            assertThat(m.find()).as(learnt.out()).isTrue();
            long version = Long.parseLong(m.group(1));
            ok(VigilRun.of(args(concat(List.of("train", "--input", clip.toString(), "--frame-codec", "png", "--out",
                    dir.resolve("offline.vgm").toString()), paper), engine)));

            ModelInfo online = ModelFile.readInfo(dir.resolve("learnt.vgm"));
            ModelInfo offline = ModelFile.readInfo(dir.resolve("offline.vgm"));
            assertThat(online.trainingFrames()).isEqualTo(offline.trainingFrames()).isEqualTo(100);
            assertThat(online.threshold().threshold()).isCloseTo(offline.threshold().threshold(),
                    within(1e-4 * offline.threshold().threshold()));
            assertThat(online.provenance().kind()).isEqualTo("learn");
            assertThat(online.provenance().camera()).isEqualTo("yard");
            assertThat(online.provenance().frames()).isEqualTo(110);
            assertThat(online.provenance().codec()).isEqualTo("png");
            assertThat(Duration.between(online.provenance().from(), online.provenance().to()).toMillis())
                    .isBetween(10_800L, 11_000L);
            assertThat(online.provenance().sources()).singleElement().asString().startsWith("vigil.frames partition");
            assertThat(offline.provenance().kind()).isEqualTo("train");

            // two frames per second of capture time: the newest 12 span 5.5 s
            ok(VigilRun.of(args(List.of("learn", "--camera", "yard", "--frames", "12", "--sample-fps", "2",
                    "--frame-score", "top:0.05", "--out", dir.resolve("sampled.vgm").toString(), "--bootstrap",
                    bootstrap), engine)));
            ModelInfo sampled = ModelFile.readInfo(dir.resolve("sampled.vgm"));
            assertThat(sampled.frameScore().toString()).isEqualTo("top:0.05");
            assertThat(sampled.provenance().frames()).isEqualTo(12);
            assertThat(sampled.provenance().sampleFps()).isEqualTo(2.0);
            assertThat(Duration.between(sampled.provenance().from(), sampled.provenance().to()).toMillis())
                    .isBetween(5_400L, 5_600L);

            // a motion stream from sampled frames: each sampled frame comes with the frame right before it, so the
            // motion Gaussians see differences of consecutive frames (5 of 10 fps: every frame, in pairs)
            ok(VigilRun.of(args(List.of("learn", "--camera", "yard", "--frames", "55", "--sample-fps", "5",
                    "--motion", "3", "--frame-score", "top:0.05", "--out", dir.resolve("motion.vgm").toString(),
                    "--bootstrap", bootstrap), engine)));
            ModelInfo motion = ModelFile.verify(dir.resolve("motion.vgm"));
            // frames 0, 2, ..., 108 sampled, each with the one before it (frame 0 has none): 0-108
            assertThat(motion.provenance().frames()).isEqualTo(109);
            // consecutive pairs within the fitted runs 0-89 and 100-108 (90-99 held back)
            assertThat(motion.motion().trainingPairs()).isEqualTo(89 + 8);
            assertThat(motion.motion().weight()).isEqualTo(3.0);
            assertThat(motion.threshold().threshold()).isPositive().isFinite();

            // two time ranges at once: the frames of both, as if their partial fits were merged
            java.time.Instant t0 = online.provenance().from();
            List<String> early = List.of("--from", t0.toString(), "--to", t0.plusMillis(3_000).toString());
            List<String> late = List.of("--from", t0.plusMillis(6_000).toString(), "--to",
                    t0.plusMillis(9_000).toString());
            int[] frames = new int[3];
            List<List<String>> spans = List.of(early, late, concat(early, late));
            for (int i = 0; i < 3; i++) {
                Path out = dir.resolve("span" + i + ".vgm");
                ok(VigilRun.of(args(concat(List.of("learn", "--camera", "yard", "--out", out.toString(), "--bootstrap",
                        bootstrap), spans.get(i)), engine)));
                frames[i] = (int) ModelFile.readInfo(out).provenance().frames();
            }
            assertThat(frames[0]).isBetween(30, 32);
            assertThat(frames[2]).isEqualTo(frames[0] + frames[1]);
            assertThat(ModelFile.readInfo(dir.resolve("span2.vgm")).provenance().to())
                    .isEqualTo(ModelFile.readInfo(dir.resolve("span1.vgm")).provenance().to());

            JsonNode list = new ObjectMapper().readTree(ok(VigilRun.of("model", "list", "--camera", "yard", "--json",
                    "--bootstrap", bootstrap)).out());
            assertThat(list).hasSize(1);
            assertThat(list.get(0).path("version").asLong()).isEqualTo(version);
            assertThat(list.get(0).path("kind").asText()).isEqualTo("learn");
            // no scorer runs yet: the version the topic asks for is pending, not shown as scoring
            assertThat(list.get(0).path("state").asText()).isEqualTo("pending");
            assertThat(list.get(0).path("active").asBoolean()).isFalse();

            VigilRun nobody = VigilRun.of(args(List.of("learn", "--camera", "nobody", "--frames", "5", "--bootstrap",
                    bootstrap), engine));
            assertThat(nobody.exit()).isEqualTo(1);
            assertThat(nobody.err()).contains("camera nobody has 0 frame(s) on vigil.frames");
            VigilRun badSpan = VigilRun.of(args(List.of("learn", "--camera", "yard", "--last", "5x", "--bootstrap",
                    bootstrap), engine));
            assertThat(badSpan.exit()).isEqualTo(1);
            assertThat(badSpan.err()).contains("--last must be a duration such as 90s", "'5x'");
            // spans may be repeated, but a range needs both ends
            assertThat(VigilRun.of(args(List.of("learn", "--camera", "yard", "--from", "2026-01-05T06:00:00Z"), engine))
                    .exit()).isEqualTo(2);

            try (OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
                 ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20));
                 ScoringService service = ScoringService.start(kafka, scoring, "mobilenetv2-l123",
                         ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);
                Replayer.replay(kafka, "yard", clip.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> maps = ScoringTopologyTest.readUntil(kafka, Topics.ANOMALY_MAPS, 110);
                assertThat(maps).allSatisfy(map -> assertThat(map.modelVersion()).isEqualTo(version));

                // the camera file's rule for this camera, applied to the newest 40 frames' scores: the median
                Path cameras = java.nio.file.Files.writeString(dir.resolve("cameras.yaml"), """
                        cameras:
                          - id: yard
                            source: yard.mp4
                            threshold_rule: p50
                        """);
                VigilRun calibrated = ok(VigilRun.of("model", "calibrate", "--camera", "yard", "--frames", "40",
                        "--cameras", cameras.toString(), "--backbone", backbone, "--out",
                        dir.resolve("calibrated.vgm").toString(), "--publish", "--bootstrap", bootstrap));
                Matcher cm = Pattern.compile("as version (\\d+)").matcher(calibrated.out());
                assertThat(cm.find()).as(calibrated.out()).isTrue();
                long calibratedVersion = Long.parseLong(cm.group(1));
                ModelInfo c = ModelFile.readInfo(dir.resolve("calibrated.vgm"));
                assertThat(c.threshold().rule()).isEqualTo("p50");
                assertThat(c.threshold().frames()).isEqualTo(40);
                // each replay has the same pixels: a frame's score, by its sequence number, whichever replay it came from
                java.util.Map<Long, Double> scoreOf = new java.util.HashMap<>();
                maps.forEach(map -> scoreOf.put(map.seq(), map.score()));
                double[] newest = IntStream.range(70, 110).mapToDouble(i -> scoreOf.get((long) i)).sorted().toArray();
                assertThat(c.threshold().threshold()).isCloseTo((newest[19] + newest[20]) / 2, within(1e-3 * newest[20]));
                assertThat(c.provenance().kind()).isEqualTo("calibrate");
                assertThat(c.provenance().basedOn()).isEqualTo(version);
                assertThat(c.trainingFrames()).isEqualTo(online.trainingFrames());

                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 2);
                Replayer.replay(kafka, "yard", clip.toString(), FrameCodec.parse("png"), 0);
                // the first replay's frames may have been scored too (if the model came in time): count by version
                List<AnomalyMapRecord> after = new java.util.ArrayList<>();
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    after.clear();
                    ScoringTopologyTest.read(kafka, Topics.ANOMALY_MAPS).stream()
                            .map(r -> AnomalyMapRecord.fromJson(r.value()))
                            .filter(map -> map.modelVersion() == calibratedVersion).forEach(after::add);
                    return after.size() >= 110;
                });
                assertThat(after).hasSize(110).allSatisfy(map ->
                        assertThat(map.threshold()).isEqualTo(c.threshold().threshold()));
                // the same Gaussians: the same scores
                for (AnomalyMapRecord map : after) {
                    assertThat(map.score()).isCloseTo(scoreOf.get(map.seq()), within(1e-4 * map.score()));
                }
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String[] args(List<String> command, List<String> engine) {
        return java.util.stream.Stream.concat(command.stream(), engine.stream()).toArray(String[]::new);
    }
}
