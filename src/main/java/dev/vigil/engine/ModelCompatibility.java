package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.padim.ModelFileException;
import dev.vigil.padim.ModelFileException.Check;
import dev.vigil.padim.ModelInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether a valid model fits the pipeline that would score with it: a model's Gaussians describe the features of the
 * backbone file, preprocessing and input size it was fitted with, so with any other its scores would be meaningless
 * rather than wrong in an obvious way.
 */
public final class ModelCompatibility {
    private ModelCompatibility() {
    }

    /**
     * Refuses a model fitted with another backbone (name or ONNX sha256, compared case-insensitively),
     * preprocessing or input size.
     *
     * @throws ModelFileException with {@link Check#MISMATCH}, naming the file and every difference
     */
    public static void check(Path file, ModelInfo info, String backboneName, String backboneSha256,
                             String preprocessing, int inputWidth, int inputHeight) throws ModelFileException {
        List<String> diffs = new ArrayList<>();
        if (!Objects.equals(info.backboneName(), backboneName)) {
            diffs.add("backbone '" + info.backboneName() + "', not '" + backboneName + "'");
        }
        if (info.backboneSha256() == null || backboneSha256 == null
                || !info.backboneSha256().equalsIgnoreCase(backboneSha256)) {
            diffs.add("backbone sha256 " + info.backboneSha256() + ", not " + backboneSha256
                    + " (another ONNX file)");
        }
        if (!Objects.equals(info.preprocessing(), preprocessing)) {
            diffs.add("preprocessing '" + info.preprocessing() + "', not '" + preprocessing + "'");
        }
        if (info.inputWidth() != inputWidth || info.inputHeight() != inputHeight) {
            diffs.add("input size " + info.inputWidth() + "x" + info.inputHeight() + ", not " + inputWidth + "x"
                    + inputHeight);
        }
        if (!diffs.isEmpty()) {
            throw new ModelFileException(file, Check.MISMATCH, "was fitted with " + String.join("; ", diffs)
                    + " (refit the model or use the backbone and settings it was fitted with)");
        }
    }

    /**
     * Refuses a model fitted with another backbone file than {@code backbone}. The backbone is then run with the
     * model's own preprocessing and input size ({@link Detector#preprocessing}), so those match by construction.
     */
    public static void check(Path file, ModelInfo info, OnnxBackbone backbone) throws ModelFileException {
        check(file, info, backbone.manifest().name(), backbone.sha256(), info.preprocessing(), info.inputWidth(),
                info.inputHeight());
    }
}
