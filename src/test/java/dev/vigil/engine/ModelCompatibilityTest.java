package dev.vigil.engine;

import dev.vigil.padim.ModelFileException;
import dev.vigil.padim.ModelFileException.Check;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.ThresholdStats;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ModelCompatibilityTest {
    private static final String SHA = "3f1c0a9e5b7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
    private static final Path FILE = Path.of("/models/camera.vgm");
    private static final ModelInfo INFO = new ModelInfo(
            new ModelInfo.Backbone("resnet18", SHA, new int[]{64, 128, 256}, "resize-crop", 16, 12),
            new ModelInfo.Embedding(4, 3, new int[]{1, 2, 3}, 7), new ModelInfo.Fit(0.01, 10), ThresholdStats.none(),
            ModelInfo.FrameScoring.PLAIN, new ModelInfo.Origin(Instant.EPOCH, null, null));

    @Test
    void refusesAnotherBackboneOrInputSizeNamingEveryDifference() throws ModelFileException {
        ModelCompatibility.check(FILE, INFO, "resnet18", SHA.toUpperCase(), "resize-crop", 16, 12);

        ModelFileException sha = catchThrowableOfType(ModelFileException.class, () -> ModelCompatibility.check(
                FILE, INFO, "resnet18", "0".repeat(64), "resize-crop", 16, 12));
        assertThat(sha.check()).isEqualTo(Check.MISMATCH);
        assertThat(sha.file()).isEqualTo(FILE);
        assertThat(sha.getMessage()).contains("camera.vgm", "backbone sha256 " + SHA).doesNotContain("input size");

        ModelFileException size = catchThrowableOfType(ModelFileException.class, () -> ModelCompatibility.check(
                FILE, INFO, "resnet18", SHA, "resize-crop", 224, 224));
        assertThat(size.check()).isEqualTo(Check.MISMATCH);
        assertThat(size.getMessage()).contains("camera.vgm", "input size 16x12, not 224x224")
                .doesNotContain("sha256");

        ModelFileException all = catchThrowableOfType(ModelFileException.class, () -> ModelCompatibility.check(
                FILE, INFO, "wide_resnet50_2", SHA, "resize", 16, 12));
        assertThat(all.getMessage()).contains("backbone 'resnet18', not 'wide_resnet50_2'",
                "preprocessing 'resize-crop', not 'resize'");
    }
}
