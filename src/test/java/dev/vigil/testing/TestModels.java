package dev.vigil.testing;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Small models fitted for tests: the frames resized to {@code width x height}, seed 3, written to a file. */
public final class TestModels {
    private TestModels() {
    }

    /**
     * @param features  channels kept (d)
     * @param holdOutEvery every so many frames one is held back for the threshold (0: none, so no threshold)
     */
    public static Path fit(OnnxBackbone backbone, List<RgbImage> normal, int width, int height, int features,
                           int holdOutEvery, String label, Path file) throws IOException {
        PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, width, height),
                new FitOptions(features, 3, 0.01, 16, holdOutEvery, 500, label)).fit(normal.iterator());
        try {
            ModelFile.write(file, model);
        } finally {
            model.gaussian().close();
        }
        return file;
    }
}
