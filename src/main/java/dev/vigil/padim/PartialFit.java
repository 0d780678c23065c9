package dev.vigil.padim;

import java.util.List;
import java.util.Objects;

/**
 * One share of a model's fit: the running sums (count, mean, co-moment per position) of some of its frames, with the
 * description of how they were embedded. Shares fitted the same way merge exactly ({@link GaussianAccumulator#merge})
 * into the fit of all their frames, so one camera's learning can be spread over machines, files or time ranges and
 * finished once.
 */
public record PartialFit(ModelInfo info, GaussianAccumulator accumulator) {
    public PartialFit {
        if (info.positions() != accumulator.positions() || info.channelIndices().length != accumulator.features()) {
            throw new IllegalArgumentException("partial fit description (" + info.gridWidth() + "x" + info.gridHeight()
                    + " grid, d=" + info.channelIndices().length + ") does not match its sums ("
                    + accumulator.positions() + " positions, d=" + accumulator.features() + ")");
        }
        if (info.hasMotion()) {
            throw new IllegalArgumentException("a partial fit holds the appearance Gaussians only, not a motion stream");
        }
    }

    /**
     * Merges shares into the first (which it changes). Each must have been fitted with the same backbone file,
     * preprocessing, input size, channel selection and eps: anything else would not be one model.
     *
     * @param names what to call each share in an error (its file)
     * @throws IllegalArgumentException naming the share and the setting that differs
     */
    public static PartialFit merge(List<PartialFit> parts, List<String> names) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no partial fits to merge");
        }
        PartialFit first = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            String differs = difference(first.info(), parts.get(i).info());
            if (differs != null) {
                throw new IllegalArgumentException(names.get(i) + " was fitted with another " + differs + " than "
                        + names.get(0) + ": partial fits merge only when fitted the same way");
            }
            first.accumulator().merge(parts.get(i).accumulator());
        }
        return new PartialFit(first.info().withTrainingFrames(first.accumulator().count()), first.accumulator());
    }

    /** Finishes the merged sums into a model, with no threshold: it is calibrated on normal frames next. */
    public PadimModel finish() {
        GaussianModel g = accumulator.finish(info.eps(), true);
        return new PadimModel(info.withTrainingFrames(accumulator.count()).withThreshold(ThresholdStats.none()), g);
    }

    private static String difference(ModelInfo a, ModelInfo b) {
        if (!Objects.equals(a.backboneSha256(), b.backboneSha256())) {
            return "backbone (" + b.backboneName() + " sha256 " + b.backboneSha256() + ", not " + a.backboneSha256() + ")";
        }
        if (!a.preprocessing().equals(b.preprocessing()) || a.inputWidth() != b.inputWidth()
                || a.inputHeight() != b.inputHeight()) {
            return "input (" + b.preprocessing() + " " + b.inputWidth() + "x" + b.inputHeight() + ", not "
                    + a.preprocessing() + " " + a.inputWidth() + "x" + a.inputHeight() + ")";
        }
        if (!java.util.Arrays.equals(a.channelIndices(), b.channelIndices())) {
            return "channel selection (d=" + b.channelIndices().length + " seed " + b.seed() + ", not d="
                    + a.channelIndices().length + " seed " + a.seed() + ")";
        }
        if (a.eps() != b.eps()) {
            return "eps (" + b.eps() + ", not " + a.eps() + ")";
        }
        return null;
    }
}
