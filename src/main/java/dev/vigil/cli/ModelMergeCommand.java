package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.Detector;
import dev.vigil.engine.ModelCompatibility;
import dev.vigil.engine.SequenceFrame;
import dev.vigil.media.MediaInputs;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PartialFit;
import dev.vigil.padim.PartialFitFile;
import dev.vigil.padim.Provenance;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Partial fits ({@code train --partial}) merged into one model: exactly the fit of all their frames, since the sums
 * merge exactly. The shares hold nothing back, so the threshold comes from normal footage the shares did not see
 * ({@code --threshold-from}), a fixed {@code --threshold}, or later from the camera's stream ({@code model calibrate}).
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge partial fits (train --partial) into one model, the fit of all their frames.")
public class ModelMergeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<partial>", description = "Partial fit files, fitted the same way")
    List<Path> parts;

    @Option(names = "--out", required = true, paramLabel = "<model>", description = "Model file to write")
    Path out;

    @Option(names = "--threshold-from", paramLabel = "<dir|video>",
            description = "Normal footage (repeatable), not fitted on, that the merged model scores to learn its threshold "
                    + "(without it, and without --threshold, the model has none until `vigil model calibrate`)")
    List<Path> thresholdFrom;

    @Option(names = "--threshold", paramLabel = "T", description = "Alert threshold to store")
    Double threshold;

    @Mixin
    ThresholdRuleOptions thresholdRule;

    @Mixin
    FittedBackboneOptions scoring;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandFiles.requireWritableFile(out, "the merged model");
        List<PartialFit> read = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (Path part : parts) {
            PartialFit p = PartialFitFile.read(part);
            read.add(p);
            names.add(part.toString());
            sources.addAll(p.info().provenance() != null ? p.info().provenance().sources() : List.of(part.toString()));
        }
        PartialFit merged = PartialFit.merge(read, names);
        PadimModel model = merged.finish();
        ModelInfo info = model.info();
        String label = info.label();
        ThresholdStats stats = ThresholdStats.none();
        if (thresholdFrom != null) {
            stats = thresholdFromFootage(model, thresholdRule.resolve(label));
        } else if (threshold == null) {
            spec.commandLine().getErr().printf("note: %s has no threshold: give --threshold-from normal footage, "
                    + "--threshold, or calibrate it on the camera's frames (vigil model calibrate)%n", out);
        }
        if (threshold != null) {
            stats = stats.withThreshold(threshold);
        }
        info = info.withThreshold(stats).withProvenance(new Provenance("merge", label, sources,
                info.trainingFrames() + stats.frames(), null, null,
                info.provenance() != null ? info.provenance().codec() : null, 0, 0));
        if (out.toAbsolutePath().getParent() != null) {
            dev.vigil.files.PrivateFiles.createDirectories(out.toAbsolutePath().getParent());
        }
        ModelFile.write(out, model.with(info));
        model.close();
        spec.commandLine().getOut().printf("wrote %s: %d partial fits merged, %d frames fitted, threshold %.4f (%d "
                        + "frames scored), %.1f MB%n", out, parts.size(), info.trainingFrames(), stats.threshold(),
                stats.frames(), Files.size(out) / 1e6);
        return 0;
    }

    private ThresholdStats thresholdFromFootage(PadimModel model, ThresholdRule rule) throws Exception {
        List<Path> files = MediaInputs.expand(thresholdFrom);
        List<Double> scores = new ArrayList<>();
        try (OnnxBackbone bb = scoring.load()) {
            ModelInfo info = model.info();
            // refuses a backbone other than the one the shares were fitted with, naming every difference
            ModelCompatibility.check(parts.get(0), info, bb);
            try (Detector detector = new Detector(bb, model)) {
                detector.scoreAll(SequenceFrame.fromSources(null, MediaInputs.frames(files)), scoring.batch, SequenceFrame::image,
                        SequenceFrame::follows, (f, d) -> scores.add((double) d.score()));
            }
        }
        if (scores.isEmpty()) {
            throw new IllegalArgumentException("no frames in " + thresholdFrom + " to learn the threshold from");
        }
        return ThresholdStats.fromNormalScores(scores.stream().mapToDouble(Double::doubleValue).toArray(), rule);
    }
}
