package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.Trainer;
import dev.vigil.media.MediaInputs;
import dev.vigil.engine.SequenceFrame;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SourceFrame;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PartialFit;
import dev.vigil.padim.PartialFitFile;
import dev.vigil.padim.Provenance;
import dev.vigil.padim.ThresholdRule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fit a PaDiM model on normal images or videos and save it as a model file.")
public class TrainCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engine;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "<dir|video>",
            description = "Normal training data: folders of images/videos, image files, video files")
    List<Path> inputs;

    @Option(names = "--out", required = true, paramLabel = "<model>", description = "Model file to write")
    Path out;

    @Option(names = "--label", paramLabel = "<camera>", description = "Camera id or label stored in the model")
    String label;

    @Option(names = "--threshold", paramLabel = "T",
            description = "Alert threshold to store instead of the one learnt from held-back normal frames")
    Double threshold;

    @Option(names = "--threshold-rule", paramLabel = "<rule>", defaultValue = "p99+1*(p99-p50)",
            description = "How the threshold is derived from the held-back frames' scores: pA+K*(pA-pB), pA, "
                    + "quantile:Q, mean+K*std or fixed:T (default: ${DEFAULT-VALUE})")
    String thresholdRule;

    @Option(names = "--partial",
            description = "Write a partial fit (the running sums of these frames, nothing held back) instead of a "
                    + "model, to merge with other shares' by `vigil model merge`")
    boolean partial;

    @Mixin
    FrameScoreOptions frameScore;

    @Mixin
    FittingCodecOptions frameCodec;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandFiles.requireWritableFile(out, partial ? "the partial fit" : "the model");
        dev.vigil.media.FrameCodec codec = frameCodec.codecOrNull();
        List<Path> files = MediaInputs.expand(inputs);
        ThresholdRule rule = ThresholdRule.parse(thresholdRule);
        // video is fitted with the video default (a motion stream, a patch memory); a partial fit holds the
        // appearance sums only
        Scoring score = frameScore.resolve(!partial && files.stream().anyMatch(MediaInputs::isVideo));
        long start = System.nanoTime();
        if (partial) {
            return writePartial(codec, files, score, start);
        }
        PadimModel model;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            model = new Trainer(backbone, engine.preprocessing(backbone.manifest()), engine.fitOptions(backbone, label),
                    rule, score).fitSequence(SequenceFrame.fromSources(codec, MediaInputs.frames(files)));
        }
        if (threshold != null) {
            model = model.with(model.info().withThreshold(model.info().threshold().withThreshold(threshold)));
        }
        var fitted = model.info();
        model = model.with(fitted.withProvenance(new Provenance("train", label,
                files.stream().map(Path::toString).toList(), fitted.trainingFrames() + fitted.threshold().frames(),
                null, null, codec == null ? "none" : codec.toString(), 0, 0)));
        if (out.toAbsolutePath().getParent() != null) {
            dev.vigil.files.PrivateFiles.createDirectories(out.toAbsolutePath().getParent());
        }
        ModelFile.write(out, model);
        var info = model.info();
        spec.commandLine().getOut().printf(
                "wrote %s: %s, %s %dx%d, grid %dx%d, d=%d, %d frames fitted%s%s, threshold %.4f (%d held-back frames), %.1f MB, %.1f s%n",
                out, info.backboneName(), info.preprocessing(), info.inputWidth(), info.inputHeight(), info.gridWidth(),
                info.gridHeight(), info.features(), info.trainingFrames(), info.hasMotion() ? String.format(
                        " (motion stream: %d consecutive pairs, weight %s)", info.motion().trainingPairs(),
                        info.motion().weight()) : "", info.hasMemory() ? String.format(
                        " (patch memory: %d patches per row, rows +-%d, gate quantile %s)",
                        info.memory().patchesPerRow(), info.memory().radius(), info.memory().gateQuantile()) : "",
                info.threshold().threshold(),
                info.threshold().frames(), Files.size(out) / 1e6, (System.nanoTime() - start) / 1e9);
        model.close();
        return 0;
    }

    private int writePartial(FrameCodec codec, List<Path> files, Scoring score, long start) throws Exception {
        if (threshold != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold is for a model: a partial fit "
                    + "has none until merged (vigil model merge --threshold-from)");
        }
        PartialFit part;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            part = new Trainer(backbone, engine.preprocessing(backbone.manifest()), engine.fitOptions(backbone, label),
                    ThresholdRule.parse(thresholdRule), score).fitPartial(SequenceFrame.fromSources(codec, MediaInputs.frames(files)));
        }
        var info = part.info();
        part = new PartialFit(info.withProvenance(new Provenance("train", label,
                files.stream().map(Path::toString).toList(), info.trainingFrames(), null, null,
                codec == null ? "none" : codec.toString(), 0, 0)), part.accumulator());
        if (out.toAbsolutePath().getParent() != null) {
            dev.vigil.files.PrivateFiles.createDirectories(out.toAbsolutePath().getParent());
        }
        PartialFitFile.write(out, part);
        spec.commandLine().getOut().printf("wrote partial fit %s: %s, %s %dx%d, grid %dx%d, d=%d, %d frames, %.1f MB, "
                        + "%.1f s%n", out, info.backboneName(), info.preprocessing(), info.inputWidth(),
                info.inputHeight(), info.gridWidth(), info.gridHeight(), info.features(), info.trainingFrames(),
                Files.size(out) / 1e6, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
