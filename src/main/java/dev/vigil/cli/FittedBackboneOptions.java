package dev.vigil.cli;

import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.OnnxBackbone;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The backbone a command scores an existing model's frames with: the one the model was fitted with. */
public class FittedBackboneOptions {
    @Option(names = "--backbone", paramLabel = "<backbone>", description = "The backbone the model was fitted with: "
            + EngineOptions.BACKBONE_SOURCES)
    Path backbone;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "Execution provider (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "Frames per backbone batch (default: ${DEFAULT-VALUE})")
    int batch;

    OnnxBackbone load() throws Exception {
        return OnnxBackbone.load(BackboneManifest.read(EngineOptions.locate(backbone)), EngineOptions.device(device));
    }
}
