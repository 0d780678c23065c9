package dev.vigil.evaluation;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's metrics on the shared datasets, as quality regressions. The fast backbone on MVTec bottle runs with
 * every build; the full matrix (both backbones, UCSD Ped2) runs with {@code -Pslow} and is what docs/results.md reports.
 */
class DatasetQualityTest {

    private static Map<String, Object> evaluate(String backbone, String dataset, Layout layout, Preprocessing pre,
                                                int features, Path report) throws Exception {
        try (OnnxBackbone b = OnnxBackbone.load(SharedData.backbone(backbone))) {
            return Evaluation.run(b, new Evaluation.Options(SharedData.dataset(dataset), layout, null, pre,
                    new FitOptions(features, 1, 0.01, 32, FitOptions.DEFAULT_HOLD_OUT_EVERY,
                            FitOptions.DEFAULT_MAX_HELD_OUT, null), report));
        }
    }

    @Test
    void mobilenetOnMvtecBottleSeparatesDefectsFromGoodBottles(@TempDir Path report) throws Exception {
        Map<String, Object> r = evaluate("mobilenetv2-l123", "mvtec-bottle", Layout.MVTEC,
                new Preprocessing(Preprocessing.Mode.RESIZE_CROP, 224, 224), 100, report);
        assertThat((double) r.get("image_auroc")).isGreaterThanOrEqualTo(0.98);
        assertThat((double) r.get("pixel_auroc")).isGreaterThanOrEqualTo(0.97);
        assertThat((int) r.get("test_images")).isEqualTo(83);
        assertThat((int) r.get("anomalous_without_mask")).isEqualTo(55);
    }

    @Test
    @Tag("slow")
    void resnetOnMvtecBottleReachesThePapersImageAuroc(@TempDir Path report) throws Exception {
        Map<String, Object> r = evaluate("resnet50v2-l123", "mvtec-bottle", Layout.MVTEC,
                new Preprocessing(Preprocessing.Mode.RESIZE_CROP, 224, 224), 550, report);
        assertThat((double) r.get("image_auroc")).isGreaterThanOrEqualTo(0.99);
    }

    @Test
    @Tag("slow")
    void resnetOnUcsdPed2LocalisesPedestrianAnomalies(@TempDir Path report) throws Exception {
        Map<String, Object> r = evaluate("resnet50v2-l123", "ucsd-ped2", Layout.CLIPS,
                new Preprocessing(Preprocessing.Mode.RESIZE, 336, 224), 550, report);
        assertThat((double) r.get("pixel_auroc")).isGreaterThanOrEqualTo(0.97);
        assertThat((int) r.get("test_images")).isEqualTo(1020);
    }
}
