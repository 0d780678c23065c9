package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.evaluation.Evaluation;
import dev.vigil.evaluation.Layout;
import dev.vigil.media.FrameCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Fit on a dataset's normal training part (or use --model), score its test part and report "
                + "image AUROC, pixel AUROC and PRO.")
public class EvalCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engine;

    @Option(names = "--dataset", required = true, paramLabel = "<dir>", description = "Dataset folder")
    Path dataset;

    @Option(names = "--layout", required = true, paramLabel = "mvtec|clips", description = "Dataset layout")
    String layout;

    @Option(names = "--model", paramLabel = "<model>", description = "Use this fitted model instead of fitting")
    Path model;

    @Mixin
    FittingCodecOptions frameCodec;

    @Option(names = "--report", required = true, paramLabel = "<dir>",
            description = "Folder for report.json, summary.md and figures")
    Path report;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // checked before the backbone loads: a typo should not cost a model load
        FrameCodec codec = frameCodec.codecOrNull();
        Layout datasetLayout = Layout.parse(layout);
        Map<String, Object> r;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            r = Evaluation.run(backbone, new Evaluation.Options(dataset, datasetLayout, model,
                    engine.preprocessing(backbone.manifest()), engine.fitOptions(backbone, null), report, codec));
        }
        spec.commandLine().getOut().printf(
                "%s: image AUROC %s, pixel AUROC %s, PRO %s over %s test images (%s, d=%s, frame codec %s); report in "
                        + "%s%n",
                dataset.getFileName(), fmt(r.get("image_auroc")), fmt(r.get("pixel_auroc")), fmt(r.get("pro")),
                r.get("test_images"), r.get("backbone"), r.get("features"), r.get("frame_codec"),
                report.resolve("report.json"));
        return 0;
    }

    private static String fmt(Object v) {
        return v instanceof Double d ? String.format("%.4f", d) : "n/a";
    }
}
