package dev.vigil.cli;

import dev.vigil.backbone.BackboneImporter;
import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.Preprocessing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Make a backbone of an ONNX CNN: the named tensors become the outputs layer1..n, the graph "
                + "after them is dropped, batch (and where possible height and width) made dynamic; the result is "
                + "checked with ONNX Runtime against the original and written with its manifest.")
class BackboneImportCommand implements Callable<Integer> {
    @Option(names = "--onnx", required = true, paramLabel = "<file>", description = "The ONNX model, e.g. a classifier")
    Path onnx;

    @Option(names = "--layers", required = true, split = ",", paramLabel = "T1,T2,T3", hideParamSyntax = true,
            description = "Tensors of the graph that become layer1, layer2, ..., shallowest first "
                    + "(vigil backbone inspect lists them)")
    List<String> layers;

    @Option(names = "--name", paramLabel = "<name>",
            description = "The backbone's name, also its file names (default: the ONNX file's name)")
    String name;

    @Option(names = "--out", required = true, paramLabel = "<dir>",
            description = "Folder for <name>.onnx and <name>.json")
    Path out;

    @Option(names = "--mean", split = ",", paramLabel = "R,G,B", hideParamSyntax = true, defaultValue = "0.485,0.456,0.406",
            description = "Per-channel mean after scaling (default: ImageNet's, ${DEFAULT-VALUE})")
    double[] mean;

    @Option(names = "--std", split = ",", paramLabel = "R,G,B", hideParamSyntax = true, defaultValue = "0.229,0.224,0.225",
            description = "Per-channel standard deviation (default: ImageNet's, ${DEFAULT-VALUE})")
    double[] std;

    @Option(names = "--scale", paramLabel = "S", defaultValue = "0.00392156862745098",
            description = "Multiplies 0-255 pixels before normalisation (default: 1/255)")
    double scale;

    @Option(names = "--channels", paramLabel = "RGB|BGR", defaultValue = "RGB",
            description = "Channel order the model expects (default: ${DEFAULT-VALUE})")
    String channels;

    @Option(names = "--size", paramLabel = "WxH", defaultValue = "224x224",
            description = "Size of the test images, unless the model's input size is fixed (default: ${DEFAULT-VALUE})")
    String size;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int[] wh = Preprocessing.parseSize(size);
        CommandFiles.requireWritableFolder(out, "the backbone");
        BackboneImporter.Result r = BackboneImporter.run(new BackboneImporter.Options(onnx, layers,
                name != null ? name : BackboneImporter.defaultName(onnx), scale, mean, std, channels.toUpperCase(),
                wh[0], wh[1], out));
        PrintWriter stdout = spec.commandLine().getOut();
        r.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
        stdout.println(summary(r));
        return 0;
    }

    static String summary(BackboneImporter.Result r) {
        return String.format("wrote %s (%s): %s; dynamic %s; checked at %dx%d against the original's tensors "
                        + "(largest difference %.2g)", r.manifest(), r.model().getFileName(), outputs(r.outputs()),
                String.join(",", r.dynamic()), r.width(), r.height(), r.maxDifference());
    }

    static String outputs(List<BackboneManifest.Output> outputs) {
        return outputs.stream().map(o -> o.name() + " " + o.channels() + "ch/" + o.stride())
                .collect(Collectors.joining(", "));
    }
}
