package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.evaluation.CrossValidation;
import dev.vigil.evaluation.Evaluation;
import dev.vigil.evaluation.Layout;
import dev.vigil.evaluation.ScoringVariant;
import dev.vigil.evaluation.VariantEvaluation;
import dev.vigil.media.FrameCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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

    @Option(names = "--variants", paramLabel = "<v>[,<v>...]", split = ",",
            description = "Compare ways of fitting and scoring frames on the same training clips (clips layout; "
                    + "fits its own models with train's fit): plain (the paper's), or parts joined by +: appearance "
                    + "or motion:W, max or top:F or region:F, pool:S or pool:SXxSY, memory:R with gate:Q and "
                    + "motion-memory, evt (--cross-validate only); docs/evaluation.md (e.g. "
                    + ScoringVariant.DEFAULTS
                    + "). Prints one table and writes variants.json and variants.md instead of the single-model report")
    List<String> variants;

    @Option(names = "--cross-validate", paramLabel = "K",
            description = "Measure scoring variants on footage no setting was tuned on (clips layout): the training "
                    + "clips in K folds, the densest clips spread over them; each fold's model is fitted on the other "
                    + "folds and scores its left-out clips (unseen normal footage) and the test clips. Reports pooled "
                    + "and per-fold frame AUROC, per-clip AUROC, events alerted and false alerts per hour of unseen "
                    + "footage at each variant's default threshold, for the --variants given (default: "
                    + ScoringVariant.DEFAULTS + "); writes crossval.json and crossval.md")
    Integer crossValidate;

    @Option(names = "--fit-clips", paramLabel = "N[,N...]", split = ",",
            description = "With --cross-validate: quality against minutes of normal footage. For each N, the protocol "
                    + "again with each fold's model fitted on N of its training clips only (nested: a seeded order "
                    + "per fold, the first N), scored on the same unseen and test clips; writes one table of every N "
                    + "and variant")
    List<Integer> fitClips = List.of();

    @Option(names = "--tune-clips", paramLabel = "<clip>[,<clip>...]", split = ",",
            description = "With --variants: the clips the settings were tuned on, whose frame AUROC is reported apart "
                    + "from the held-out clips'")
    List<String> tuneClips = List.of();

    @Option(names = "--fps", paramLabel = "F", defaultValue = "10",
            description = "With --variants or --cross-validate: frames per second of the clips, for false alerts "
                    + "per hour "
                    + "(default: ${DEFAULT-VALUE})")
    double fps;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // checked before the backbone loads: a typo should not cost a model load
        FrameCodec codec = frameCodec.codecOrNull();
        CommandFiles.requireWritableFolder(report, "the report");
        Layout datasetLayout = Layout.parse(layout);
        if (!fitClips.isEmpty() && crossValidate == null) {
            throw new ParameterException(spec.commandLine(), "--fit-clips is for --cross-validate: it fits each "
                    + "fold on fewer clips");
        }
        if (crossValidate != null) {
            return crossValidate(codec, datasetLayout);
        }
        if (variants != null) {
            return compareVariants(codec, datasetLayout);
        }
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

    private int crossValidate(FrameCodec codec, Layout datasetLayout) throws Exception {
        List<ScoringVariant> parsed = parseVariants(variants == null ? List.of(ScoringVariant.DEFAULTS.split(","))
                : variants, "--cross-validate", datasetLayout);
        if (crossValidate < 2) {
            throw new ParameterException(spec.commandLine(), "--cross-validate needs at least 2 folds, got "
                    + crossValidate);
        }
        if (!tuneClips.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--tune-clips is for --variants: --cross-validate tunes "
                    + "on nothing it reports");
        }
        if (fitClips.stream().anyMatch(n -> n == null || n < 1)) {
            throw new ParameterException(spec.commandLine(), "--fit-clips needs whole numbers of clips, at least 1");
        }
        Map<String, Object> r;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            r = CrossValidation.run(backbone, new Evaluation.Options(dataset, datasetLayout, null,
                    engine.preprocessing(backbone.manifest()), engine.fitOptions(backbone, null), report, codec),
                    crossValidate, parsed, fps, fitClips);
        }
        spec.commandLine().getOut().print(java.nio.file.Files.readString(report.resolve("crossval.md")));
        spec.commandLine().getOut().printf("%s, %s d=%s, %d folds; report in %s%n", dataset.getFileName(),
                r.get("backbone"), r.get("features"), crossValidate, report.resolve("crossval.json"));
        return 0;
    }

    private List<ScoringVariant> parseVariants(List<String> texts, String option, Layout datasetLayout) {
        List<ScoringVariant> parsed = new ArrayList<>();
        for (String v : texts) {
            try {
                parsed.add(ScoringVariant.parse(v));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--variants: " + e.getMessage());
            }
        }
        if (model != null) {
            throw new ParameterException(spec.commandLine(), option + " fits its own appearance and motion Gaussians "
                    + "and takes no --model");
        }
        if (datasetLayout != Layout.CLIPS) {
            throw new ParameterException(spec.commandLine(), option + " needs --layout clips (the motion stream "
                    + "compares consecutive frames)");
        }
        if (!(fps > 0)) {
            throw new ParameterException(spec.commandLine(), "--fps must be positive, got " + fps);
        }
        if (!option.equals("--cross-validate")) {
            parsed.stream().filter(ScoringVariant::extremes).findFirst().ifPresent(v -> {
                throw new ParameterException(spec.commandLine(), "--variants: " + v.name() + ": evt is a frame score "
                        + "of --cross-validate only (it makes no maps)");
            });
        }
        return parsed;
    }

    private int compareVariants(FrameCodec codec, Layout datasetLayout) throws Exception {
        List<ScoringVariant> parsed = parseVariants(variants, "--variants", datasetLayout);
        Map<String, Object> r;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            r = VariantEvaluation.run(backbone, new Evaluation.Options(dataset, datasetLayout, null,
                    engine.preprocessing(backbone.manifest()), engine.fitOptions(backbone, null), report, codec),
                    parsed, new LinkedHashSet<>(tuneClips), fps);
        }
        spec.commandLine().getOut().print(java.nio.file.Files.readString(report.resolve("variants.md")));
        spec.commandLine().getOut().printf("%s, %s d=%s, tune clips %s; report in %s%n", dataset.getFileName(),
                r.get("backbone"), r.get("features"), tuneClips, report.resolve("variants.json"));
        return 0;
    }

    private static String fmt(Object v) {
        return v instanceof Double d ? String.format("%.4f", d) : "n/a";
    }
}
