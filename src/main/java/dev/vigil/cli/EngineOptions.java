package dev.vigil.cli;

import dev.vigil.backbone.BackboneLocator;
import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Options shared by the commands that run a backbone. */
public class EngineOptions {
    private static final Logger LOG = LoggerFactory.getLogger(EngineOptions.class);

    /** What --backbone takes and where it comes from without one: every command's help says the same. */
    static final String BACKBONE_SOURCES = "a manifest (JSON), its folder, or its .onnx (default: "
            + "$VIGIL_BACKBONE, then 'backbone' in config/vigil.yaml, then the cache; see vigil backbone)";
    static final String BACKBONE_HELP = "Backbone: " + BACKBONE_SOURCES;

    @Option(names = "--backbone", paramLabel = "<backbone>", description = BACKBONE_HELP)
    Path backbone;

    @Option(names = "--features", paramLabel = "D",
            description = "Embedding channels kept (default: 100, or 550 for backbones of 1000+ channels)")
    Integer features;

    @Option(names = "--size", paramLabel = "WxH",
            description = "Backbone input size (default: the manifest's recommended_size, else 224x224)")
    String size;

    @Option(names = "--resize-crop",
            description = "The paper's preprocessing: shorter side to 256/224 of the size, then the centre crop. "
                    + "Default: resize the whole frame, nothing cropped")
    boolean resizeCrop;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the channel selection (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Frames per backbone batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "Execution provider: CUDA when available (auto), or forced (default: ${DEFAULT-VALUE})")
    String device;

    OnnxBackbone loadBackbone() throws IOException {
        return OnnxBackbone.load(BackboneManifest.read(locate(backbone)), device(device));
    }

    /** The backbone's manifest: {@code --backbone}, else $VIGIL_BACKBONE, config/vigil.yaml, the cache. */
    static Path locate(Path flag) throws IOException {
        BackboneLocator.Located located = BackboneLocator.standard().locate(flag);
        if (flag == null) {
            LOG.info("backbone {} (from {})", located.manifest(), located.from());
        }
        return located.manifest();
    }

    static OnnxBackbone.Device device(String device) {
        return switch (device.toLowerCase()) {
            case "auto" -> OnnxBackbone.Device.AUTO;
            case "cpu" -> OnnxBackbone.Device.CPU;
            case "cuda", "gpu" -> OnnxBackbone.Device.CUDA;
            default -> throw new IllegalArgumentException("--device must be auto, cpu or cuda, got '" + device + "'");
        };
    }

    /** --size, else the manifest's recommended size, else 224x224. */
    Preprocessing preprocessing(BackboneManifest manifest) {
        int[] recommended = manifest.input().recommendedSize();
        int[] wh = size != null ? Preprocessing.parseSize(size)
                : recommended != null && recommended.length == 2 ? recommended : new int[]{224, 224};
        return new Preprocessing(resizeCrop ? Preprocessing.Mode.RESIZE_CROP : Preprocessing.Mode.RESIZE, wh[0], wh[1]);
    }

    FitOptions fitOptions(OnnxBackbone backbone, String label) {
        int d = features != null ? features : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
        return new FitOptions(d, seed, FitOptions.DEFAULT_EPS, batch, FitOptions.DEFAULT_HOLD_OUT_EVERY,
                FitOptions.DEFAULT_MAX_HELD_OUT, label);
    }
}
