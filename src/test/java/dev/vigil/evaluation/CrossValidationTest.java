package dev.vigil.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrossValidationTest {
    private static final int W = 160;
    private static final int H = 96;
    private static final int TRAIN_FRAMES = 60;

    @Test
    void theDensestClipsAreDealtOnePerFoldBackAndForth() {
        List<Path> clips = new ArrayList<>();
        Map<Path, Double> density = new HashMap<>();
        // densities in an order unrelated to the names: clip i has density (i * 5) % 8
        for (int i = 0; i < 8; i++) {
            Path c = Path.of("Train00" + i + ".mp4");
            clips.add(c);
            density.put(c, (double) (i * 5 % 8));
        }
        List<List<Path>> folds = CrossValidation.folds(clips, density, 3);
        // ranked by density 7,6,...,0 = clips 3,6,1,4,7,2,5,0; dealt to folds 0,1,2, 2,1,0, 0,1
        assertThat(folds.get(0)).containsExactly(Path.of("Train002.mp4"), Path.of("Train003.mp4"),
                Path.of("Train005.mp4"));
        assertThat(folds.get(1)).containsExactly(Path.of("Train000.mp4"), Path.of("Train006.mp4"),
                Path.of("Train007.mp4"));
        assertThat(folds.get(2)).containsExactly(Path.of("Train001.mp4"), Path.of("Train004.mp4"));
        assertThatThrownBy(() -> CrossValidation.folds(clips, density, 9)).hasMessageContaining("2 to 8 folds");
    }

    @Test
    void anEventIsAlertedWhenAnAlertIsOpenDuringItAndAnAlertOpenedOnNormalFramesIsFalse() {
        // frames 0-24 normal with a 3-frame false alarm at 2-4 (it opens at 4, ends at 9, then 10 frames of
        // cooldown), then an event at 25-34 that scores above from 27 and one at 40 never above the threshold
        double[] scores = new double[45];
        boolean[] labels = new boolean[45];
        for (int i = 2; i <= 4; i++) {
            scores[i] = 2;
        }
        for (int i = 25; i < 35; i++) {
            labels[i] = true;
            scores[i] = i >= 27 ? 2 : 0;
        }
        labels[40] = true;
        ClipAlerts a = ClipAlerts.run("c", scores, labels, 1, 10);
        assertThat(a.falseAlerts()).isEqualTo(1);
        assertThat(a.alertsOnAnomalies()).isEqualTo(1);
        assertThat(a.events()).isEqualTo(2);
        assertThat(a.eventsAlerted()).isEqualTo(1);
        assertThat(a.normalFrames()).isEqualTo(34);
        // an alert still open when an event begins counts for it
        double[] early = scores.clone();
        for (int i = 20; i < 35; i++) {
            early[i] = 2;
        }
        ClipAlerts b = ClipAlerts.run("c", early, labels, 1, 10);
        assertThat(b.falseAlerts()).isEqualTo(2);
        assertThat(b.alertsOnAnomalies()).isZero();
        assertThat(b.eventsAlerted()).isEqualTo(1);
    }

    /**
     * A synthetic clips dataset: three training clips of the walkway and a crowded one (three scenes' walkers at
     * once), and a test clip with a vehicle crossing in frames 30-59.
     */
    private static Path syntheticClips(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("test"));
        for (int seed = 1; seed <= 3; seed++) {
            VideoWriter.write(dir.resolve("train/Train00" + seed + ".mp4"),
                    SyntheticScene.generate(W, H, TRAIN_FRAMES, seed, 0, 0), 10);
        }
        List<List<RgbImage>> scenes = List.of(SyntheticScene.generate(W, H, TRAIN_FRAMES, 4, 0, 0),
                SyntheticScene.generate(W, H, TRAIN_FRAMES, 5, 0, 0), SyntheticScene.generate(W, H, TRAIN_FRAMES, 6, 0,
                        0));
        List<RgbImage> crowd = new ArrayList<>();
        for (int i = 0; i < TRAIN_FRAMES; i++) {
            // walkers are darker than the pavement: the darkest of three scenes shows all their walkers
            byte[] px = scenes.get(0).get(i).pixels().clone();
            for (List<RgbImage> s : scenes.subList(1, 3)) {
                byte[] other = s.get(i).pixels();
                for (int k = 0; k < px.length; k++) {
                    px[k] = (byte) Math.min(px[k] & 0xff, other[k] & 0xff);
                }
            }
            crowd.add(new RgbImage(W, H, px));
        }
        VideoWriter.write(dir.resolve("train/Train004.mp4"), crowd, 10);
        VideoWriter.write(dir.resolve("test/Test001.mp4"), SyntheticScene.generate(W, H, 80, 7, 30, 60), 10);
        ObjectMapper json = new ObjectMapper();
        ObjectNode labels = json.createObjectNode();
        ArrayNode l = labels.putObject("clips").putObject("Test001").putArray("labels");
        for (int i = 0; i < 80; i++) {
            l.add(i >= 30 && i < 60 ? 1 : 0);
        }
        json.writeValue(dir.resolve("test/labels.json").toFile(), labels);
        return dir;
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachFoldFitsWithoutItsClipsAndScoresThemAsUnseenNormalFootage(@TempDir Path tmp) throws Exception {
        Path dataset = syntheticClips(tmp.resolve("walkway"));
        Map<String, Object> r;
        try (OnnxBackbone b = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            r = CrossValidation.run(b, new Evaluation.Options(dataset, Layout.CLIPS, null,
                            new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                            new FitOptions(50, 1, 0.01, 32, FitOptions.DEFAULT_HOLD_OUT_EVERY,
                                    FitOptions.DEFAULT_MAX_HELD_OUT, null), tmp.resolve("report"), null), 2,
                    List.of(ScoringVariant.parse("plain"), ScoringVariant.parse("motion:3+top:0.05"),
                            ScoringVariant.parse("memory:1+motion:3+top:0.05")),
                    VariantEvaluation.DEFAULT_FPS);
        }
        List<Map<String, Object>> clips = (List<Map<String, Object>>) r.get("training_clips");
        Map<String, Object> densest = clips.stream()
                .max((x, y) -> Double.compare((double) x.get("foreground"), (double) y.get("foreground"))).orElseThrow();
        assertThat(densest.get("clip")).isEqualTo("Train004");
        assertThat(densest.get("left_out_in_fold")).isEqualTo(1);
        List<Map<String, Object>> folds = (List<Map<String, Object>>) r.get("fold_details");
        assertThat(folds).hasSize(2);
        // each fold fits 2 clips of 60 frames and holds back frames 90-99 of them
        assertThat(folds).allSatisfy(f -> {
            assertThat(f.get("fitted_frames")).isEqualTo(110L);
            assertThat(f.get("held_back_frames")).isEqualTo(10);
            // the memory variant's fold memory: the coreset of every row, built from the fitted clips alone
            Map<String, Object> memory = (Map<String, Object>) f.get("patch_memory");
            assertThat((int) memory.get("patches")).isPositive();
            assertThat((double) memory.get("memory_scale")).isPositive();
            assertThat(memory.get("radius")).isEqualTo(1);
        });
        assertThat(folds.stream().flatMap(f -> ((List<String>) f.get("left_out")).stream()))
                .containsExactlyInAnyOrder("Train001", "Train002", "Train003", "Train004");

        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("variants");
        assertThat(rows).extracting(v -> v.get("variant")).containsExactly("plain", "motion:3+top:0.05",
                "memory:1+motion:3+top:0.05");
        for (Map<String, Object> row : rows) {
            // every training clip is unseen normal footage once; the test clip's one event is scored by each fold
            assertThat(row.get("unseen_normal_frames")).isEqualTo(4 * TRAIN_FRAMES);
            assertThat(row.get("events")).isEqualTo(2);
            assertThat((List<Double>) row.get("frame_auroc_folds")).hasSize(2);
            assertThat(((Map<String, Double>) row.get("frame_auroc_per_clip")).keySet()).containsExactly("Test001");
            assertThat((double) row.get("frame_auroc_worst_fold"))
                    .isLessThanOrEqualTo((double) row.get("frame_auroc_pooled") + 0.5);
        }
        Map<String, Object> motion = rows.get(1);
        // the vehicle is large, bright and fast: every fold's model finds it
        assertThat((double) motion.get("frame_auroc_pooled")).isGreaterThan(0.9);
        assertThat(motion.get("events_alerted")).isEqualTo(2);
        // nor is it like any walkway patch in its rows
        assertThat((double) rows.get(2).get("frame_auroc_pooled")).isGreaterThan(0.9);
        assertThat(Files.readString(tmp.resolve("report/crossval.md"))).contains("| plain |", "| Train004 |");
    }

    @Test
    void fewerClipsPerFoldAreNestedSubsetsOfMoreAndCoverLessFootage(@TempDir Path tmp) throws Exception {
        List<Path> train = List.of(Path.of("a"), Path.of("b"), Path.of("c"), Path.of("d"), Path.of("e"));
        List<Path> two = CrossValidation.subset(train, 2, 7);
        List<Path> four = CrossValidation.subset(train, 4, 7);
        assertThat(four).containsAll(two).hasSize(4);
        assertThat(CrossValidation.subset(train, 9, 7)).containsExactlyElementsOf(train);

        Path dataset = syntheticClips(tmp.resolve("walkway"));
        Map<String, Object> r;
        try (OnnxBackbone b = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            r = CrossValidation.run(b, new Evaluation.Options(dataset, Layout.CLIPS, null,
                            new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                            // every 5th block of 5 held back: one clip of 60 frames holds back 10
                            new FitOptions(50, 1, 0.01, 32, 5, FitOptions.DEFAULT_MAX_HELD_OUT, null),
                            tmp.resolve("report"), null), 2,
                    List.of(ScoringVariant.parse("motion:3+top:0.05")), VariantEvaluation.DEFAULT_FPS, List.of(1, 2));
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> curve = (List<Map<String, Object>>) r.get("fit_clips_curve");
        assertThat(curve).extracting(c -> c.get("fit_clips")).containsExactly(1, 2);
        // one clip of 60 frames per fold, then two: the minutes (fitted and held back) double, the unseen footage
        // stays the same
        assertThat((double) curve.get(1).get("minutes_fitted"))
                .isCloseTo(2 * (double) curve.get(0).get("minutes_fitted"), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(curve).allSatisfy(c -> assertThat(c.get("unseen_normal_frames")).isEqualTo(4 * TRAIN_FRAMES));
        assertThat(Files.readString(tmp.resolve("report/crossval.md"))).contains("| clips fitted per fold |",
                "| 1 | ", "| 2 | ");
    }
}
