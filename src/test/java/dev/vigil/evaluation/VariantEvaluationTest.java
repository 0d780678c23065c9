package dev.vigil.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class VariantEvaluationTest {
    /** A small Ped2: 2 training clips and 2 test clips, linked (never copied) from ../shared. */
    private static Path smallPed2(Path dir) throws Exception {
        Path ped2 = SharedData.dataset("ucsd-ped2");
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("test"));
        for (String clip : List.of("Train001", "Train002")) {
            Files.createSymbolicLink(dir.resolve("train/" + clip + ".mp4"), ped2.resolve("train/" + clip + ".mp4"));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode all = (ObjectNode) json.readTree(ped2.resolve("test/labels.json").toFile());
        ObjectNode labels = json.createObjectNode();
        ObjectNode clips = labels.putObject("clips");
        for (String clip : List.of("Test002", "Test004")) {
            Files.createSymbolicLink(dir.resolve("test/" + clip + ".mp4"), ped2.resolve("test/" + clip + ".mp4"));
            Files.createSymbolicLink(dir.resolve("test/" + clip + "_gt"), ped2.resolve("test/" + clip + "_gt"));
            clips.set(clip, all.get("clips").get(clip));
        }
        json.writeValue(dir.resolve("test/labels.json").toFile(), labels);
        return dir;
    }

    /** The links, not what they point at (JUnit's clean-up would warn about each). */
    private static void unlink(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Map<String, Object> evaluate(Path dataset, Path report) throws Exception {
        try (OnnxBackbone b = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            return VariantEvaluation.run(b, new Evaluation.Options(dataset, Layout.CLIPS, null,
                            new Preprocessing(Preprocessing.Mode.RESIZE, 160, 96),
                            new FitOptions(100, 1, 0.01, 32, FitOptions.DEFAULT_HOLD_OUT_EVERY,
                                    FitOptions.DEFAULT_MAX_HELD_OUT, null), report, null),
                    List.of(ScoringVariant.parse("plain"), ScoringVariant.parse("motion:3+top:0.05")),
                    Set.of("Test002"), VariantEvaluation.DEFAULT_FPS);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theMotionStreamDecidesFramesBetterThanThePapersMaximumAndKeepsTheLocalisation(@TempDir Path tmp)
            throws Exception {
        Path dataset = smallPed2(tmp.resolve("ped2"));
        Map<String, Object> r;
        try {
            r = evaluate(dataset, tmp.resolve("report"));
        } finally {
            unlink(dataset);
        }
        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("variants");
        Map<String, Object> plain = rows.get(0);
        Map<String, Object> motion = rows.get(1);
        // measured: 0.959 (plain) and 0.999 (motion) on these two clips at this size
        assertThat((double) motion.get("frame_auroc")).isGreaterThan((double) plain.get("frame_auroc") + 0.02)
                .isGreaterThanOrEqualTo(0.98);
        assertThat((double) motion.get("pixel_auroc")).isGreaterThanOrEqualTo((double) plain.get("pixel_auroc") - 0.01);
        assertThat(((Map<String, Double>) plain.get("frame_auroc_per_clip")).keySet())
                .containsExactly("Test002", "Test004");
        assertThat(plain.get("frame_auroc_tune")).isEqualTo(
                ((Map<String, Double>) plain.get("frame_auroc_per_clip")).get("Test002"));
        // 120 + 150 training frames, of which frames 90-99 and 190-199 are held back as Trainer holds them back
        assertThat((long) r.get("fitted_frames")).isEqualTo(120 + 150 - 20);
        assertThat(r.get("held_back_frames")).isEqualTo(20);
        assertThat(Files.readString(tmp.resolve("report/variants.md"))).contains("| plain |", "| motion:3+top:0.05 |");
    }
}
