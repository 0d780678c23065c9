package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** One fit-and-score loop end to end on a real backbone, as a camera would see it. */
class FitAndScoreTest {
    private static final int W = 160;
    private static final int H = 128;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 200, 215);
    private static OnnxBackbone backbone;
    private static PadimModel model;

    @BeforeAll
    static void fit() throws Exception {
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        List<RgbImage> normal = IntStream.range(0, 150).mapToObj(SCENE::frame).toList();
        model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "test-camera")).fit(normal.iterator());
    }

    @AfterAll
    static void close() {
        model.gaussian().close();
        backbone.close();
    }

    @Test
    void theModelDescribesWhatWasFitted() {
        var info = model.info();
        assertThat(info.gridWidth()).isEqualTo(W / 4);
        assertThat(info.gridHeight()).isEqualTo(H / 4);
        assertThat(info.features()).isEqualTo(40);
        assertThat(info.trainingFrames()).isEqualTo(140);
        assertThat(info.threshold().frames()).isEqualTo(10);
        assertThat(info.threshold().threshold()).isGreaterThanOrEqualTo(info.threshold().p99());
        assertThat(info.label()).isEqualTo("test-camera");
        assertThat(info.backboneSha256()).isEqualTo(backbone.sha256());
    }

    @Test
    void anIntruderScoresAboveTheThresholdAndIsLocalisedOnTheMap() {
        List<Detection> detections = new ArrayList<>();
        try (Detector detector = new Detector(backbone, model)) {
            detector.scoreAll(IntStream.range(170, 220).iterator(), 16, SCENE::frame, (i, d) -> detections.add(d));
        }
        double threshold = model.info().threshold().threshold();
        // frames 170..199 normal, 200..214 the vehicle crosses, 215..219 normal again
        for (int i = 0; i < detections.size(); i++) {
            Detection d = detections.get(i);
            assertThat(d.map()).hasSize(W * H);
            assertThat(d.score()).isEqualTo(dev.vigil.padim.AnomalyMaps.max(d.map()));
        }
        double worstIntruder = IntStream.range(30, 45).mapToDouble(i -> detections.get(i).score()).min().orElseThrow();
        double bestNormal = IntStream.range(0, 30).mapToDouble(i -> detections.get(i).score()).max().orElseThrow();
        assertThat(worstIntruder).isGreaterThan(threshold).isGreaterThan(bestNormal);
        // the map's peak lies on the vehicle
        Detection middle = detections.get(37);
        boolean[] truth = SCENE.anomalyMask(207);
        int peak = 0;
        for (int p = 1; p < middle.map().length; p++) {
            if (middle.map()[p] > middle.map()[peak]) {
                peak = p;
            }
        }
        assertThat(truth[peak]).as("peak pixel %d is on the intruder", peak).isTrue();
    }

    @Test
    void aSavedAndReloadedModelScoresExactlyLikeTheFittedOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("camera.vgm");
        ModelFile.write(file, model);
        List<RgbImage> frames = IntStream.of(3, 120, 205).mapToObj(SCENE::frame).toList();
        List<Float> direct = new ArrayList<>();
        List<Float> reloaded = new ArrayList<>();
        try (Detector detector = new Detector(backbone, model)) {
            detector.scoreAll(frames.iterator(), 8, f -> f, (f, d) -> direct.add(d.score()));
        }
        try (Detector detector = Detector.load(backbone, file)) {
            detector.scoreAll(frames.iterator(), 8, f -> f, (f, d) -> reloaded.add(d.score()));
            detector.model().gaussian().close();
        }
        assertThat(reloaded).containsExactlyElementsOf(direct);
    }

    @Test
    void scoresDoNotDependOnTheBatchAFrameIsIn() {
        List<Float> alone = new ArrayList<>();
        List<Float> batched = new ArrayList<>();
        try (Detector detector = new Detector(backbone, model)) {
            for (int i : new int[]{10, 205}) {
                detector.scoreAll(List.of(SCENE.frame(i)).iterator(), 1, f -> f, (f, d) -> alone.add(d.score()));
            }
            detector.scoreAll(List.of(SCENE.frame(10), SCENE.frame(11), SCENE.frame(205)).iterator(), 3, f -> f,
                    (f, d) -> batched.add(d.score()));
        }
        assertThat(batched.get(0)).isCloseTo(alone.get(0), org.assertj.core.data.Percentage.withPercentage(0.1));
        assertThat(batched.get(2)).isCloseTo(alone.get(1), org.assertj.core.data.Percentage.withPercentage(0.1));
    }

    @Test
    void aMotionModelScoresTheSameThroughTheEngineAsOfflineAndAGapStartsANewSequence(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("motion.vgm");
        try (PadimModel fitted = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "test-camera"), ThresholdRule.DEFAULT,
                new Scoring(FrameScore.parse("top:0.05"), 3)).fit(IntStream.range(0, 150).mapToObj(SCENE::frame)
                .iterator())) {
            // frames 90-99 are held back: pairs within 0-89 and 100-149
            assertThat(fitted.info().motion().trainingPairs()).isEqualTo(89 + 49);
            assertThat(fitted.info().motion().appearanceScale()).isPositive();
            assertThat(fitted.info().threshold().frames()).isEqualTo(10);
            ModelFile.write(file, fitted);
        }
        // frames 190-213 of the camera, numbered 0-23, 25-fps timestamps; number 12 never arrives (late, dropped)
        List<Integer> seqs = IntStream.range(0, 24).filter(i -> i != 12).boxed().toList();
        List<Float> offline = new ArrayList<>();
        try (Detector detector = Detector.load(backbone, file)) {
            detector.scoreAll(seqs.iterator(), 5, i -> SCENE.frame(190 + i), i -> i != 0 && i != 13,
                    (i, d) -> offline.add(d.score()));
            detector.model().close();
        }
        List<Float> streamed = streamed(file, seqs);
        assertThat(streamed).hasSameSizeAs(offline);
        for (int i = 0; i < offline.size(); i++) {
            assertThat(streamed.get(i)).as("frame %d", seqs.get(i))
                    .isCloseTo(offline.get(i), org.assertj.core.data.Percentage.withPercentage(0.01));
        }
        // the intruder (frames 200-214) raises the blended score above the normal frames before it
        assertThat(streamed.get(15)).isGreaterThan(streamed.subList(1, 9).stream().max(Float::compare).orElseThrow());
    }

    /** Scene frames 190 + seq of a camera, through the scoring engine as PNG frames at 25 fps: their scores. */
    private static List<Float> streamed(Path file, List<Integer> seqs) throws Exception {
        List<Float> streamed = new ArrayList<>();
        try (ScoringEngine engine = new ScoringEngine(backbone, 4, java.time.Duration.ofMillis(5))) {
            ScoringEngine.CameraModel camera = engine.load("test-camera", 1, file);
            var codec = dev.vigil.media.FrameCodec.parse("png");
            List<java.util.concurrent.CompletableFuture<Detection>> results = new ArrayList<>();
            for (int i : seqs) {
                results.add(engine.submit(camera, codec.encode(SCENE.frame(190 + i)), W, H, i, 1_000 + 40L * i));
            }
            for (var r : results) {
                streamed.add(r.get().score());
            }
            camera.release();
        }
        return streamed;
    }

    @Test
    void theVideoDefaultKeepsAPatchMemoryThatScoresTheSameGatedOrNotAndThroughTheEngine(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("memory.vgm");
        try (PadimModel fitted = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "test-camera"), ThresholdRule.DEFAULT, Scoring.VIDEO)
                .fit(IntStream.range(0, 150).mapToObj(SCENE::frame).iterator())) {
            var memory = fitted.info().memory();
            assertThat(memory.radius()).isEqualTo(1);
            assertThat(memory.gateQuantile()).isEqualTo(Scoring.DEFAULT_GATE);
            assertThat(memory.gate()).isPositive();
            assertThat(memory.memoryScale()).isPositive();
            // every 8th of the 140 fitted frames offered: 18 frames of 40 patches per row, a coreset of 128 kept
            assertThat(fitted.memory().perRow()).isEqualTo(dev.vigil.padim.PatchMemory.PER_ROW);
            assertThat(fitted.info().motion()).isNotNull();
            assertThat(fitted.info().frameScore()).isEqualTo(new FrameScore(0.02));
            ModelFile.write(file, fitted);
        }
        List<Integer> seqs = IntStream.range(0, 24).boxed().toList();
        List<Float> gated = new ArrayList<>();
        List<Float> everyPatch = new ArrayList<>();
        try (PadimModel loaded = Detector.loadModel(backbone, file);
             Detector detector = new Detector(backbone, loaded);
             Detector every = new Detector(detector.extractor(), loaded, true)) {
            detector.scoreAll(seqs.iterator(), 5, i -> SCENE.frame(190 + i), i -> i != 0, (i, d) -> gated.add(d.score()));
            every.scoreAll(seqs.iterator(), 5, i -> SCENE.frame(190 + i), i -> i != 0,
                    (i, d) -> everyPatch.add(d.score()));
        }
        // the gate skips only patches whose score the memory could not change (the searched ones' products are
        // blocked differently, hence the last bits)
        assertThat(gated).hasSameSizeAs(everyPatch);
        for (int i = 0; i < gated.size(); i++) {
            assertThat(gated.get(i)).as("frame %d", i)
                    .isCloseTo(everyPatch.get(i), org.assertj.core.data.Percentage.withPercentage(1e-3));
        }
        List<Float> streamed = streamed(file, seqs);
        for (int i = 0; i < gated.size(); i++) {
            assertThat(streamed.get(i)).as("frame %d", i)
                    .isCloseTo(gated.get(i), org.assertj.core.data.Percentage.withPercentage(0.01));
        }
        // the intruder (frames 200-214) still raises the score above the normal frames before it
        assertThat(streamed.get(15)).isGreaterThan(streamed.subList(1, 9).stream().max(Float::compare).orElseThrow());
    }

    @Test
    void aFitTooShortToHoldFramesBackHasNeitherMotionNorMemory() {
        try (PadimModel fitted = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "test-camera"), ThresholdRule.DEFAULT, Scoring.VIDEO)
                .fit(IntStream.range(0, 60).mapToObj(SCENE::frame).iterator())) {
            assertThat(fitted.hasMotion()).isFalse();
            assertThat(fitted.hasMemory()).isFalse();
            assertThat(fitted.info().hasMemory()).isFalse();
        }
    }

    @Test
    void aModelWithTheTopFrameScoreScoresFramesByItsPatchDistancesAndLearnsItsThresholdOnThem() {
        FrameScore top = FrameScore.parse("top:0.05");
        PadimModel topModel = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "test-camera"), ThresholdRule.DEFAULT, top)
                .fit(IntStream.range(0, 150).mapToObj(SCENE::frame).iterator());
        try (Detector detector = new Detector(backbone, topModel)) {
            assertThat(topModel.info().frameScore()).isEqualTo(top);
            // the threshold is on the top-5 % mean, far below the map's maximum the paper's model learnt it on
            assertThat(topModel.info().threshold().threshold()).isLessThan(model.info().threshold().threshold());
            var batch = detector.extractor().embed(List.of(SCENE.frame(207)));
            float[] grid = topModel.gaussian().mahalanobis(batch, 1);
            Detection d = detector.score(batch).get(0);
            assertThat(d.score()).isEqualTo(FrameScore.topMean(grid, 0, grid.length, 0.05));
            assertThat(d.score()).isLessThan(dev.vigil.padim.AnomalyMaps.max(d.map()));
            assertThat((double) d.score()).isGreaterThan(topModel.info().threshold().threshold());
        } finally {
            topModel.gaussian().close();
        }
    }
}
