package dev.vigil.engine;

import dev.vigil.padim.MemoryBlend;
import dev.vigil.padim.MotionBlend;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PatchDistances;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The held-back normal frames of a fit, scored: both streams' patch distances under the fitted Gaussians
 * ({@link Detector#distances}), whose means are a motion blend's scales (so that neither stream dominates by its
 * units), then each frame's score under the model's scoring settings, which the default threshold is learnt on. Every
 * fit learns its threshold here ({@link Trainer}, the scorer's learning); the evaluations take the distances to learn
 * the threshold of other settings of the same Gaussians.
 *
 * @param distances the held-back frames' distances, reference frames left out ({@code [frames][positions]})
 */
public record HeldBackScores(PatchDistances distances) {
    /**
     * @param detector a detector on the fitted Gaussians (the blend's scales in its model are not used)
     * @param frames   the held-back frames in order; with a motion stream each block of them is led by a reference
     *                 frame, its predecessor, embedded for its difference and not scored
     * @param prepared whether the frames are at the input size already ({@link FeatureExtractor#prepare}: a crop
     *                 must not be cropped again)
     * @return null when there are no held-back frames
     */
    public static HeldBackScores of(Detector detector, Iterator<SequenceFrame> frames, boolean prepared,
                                    int batchSize) {
        // held-back frames are at most a few hundred: their distance grids are a few MB
        List<PatchDistances> kept = new ArrayList<>();
        FeatureExtractor extractor = detector.extractor();
        detector.distancesAll(frames, batchSize, f -> prepared ? f.image() : extractor.prepare(f.image()),
                SequenceFrame::follows, (part, distances) -> {
                    for (int i = 0; i < part.size(); i++) {
                        if (!part.get(i).reference()) {
                            kept.add(distances.frame(i));
                        }
                    }
                });
        return kept.isEmpty() ? null : new HeldBackScores(PatchDistances.concat(kept));
    }

    public int frames() {
        return distances.frames();
    }

    /**
     * The blend of the motion stream with weight w, scaled by the held-back means of both streams' distances.
     *
     * @param pairs consecutive pairs the motion Gaussians were fitted on, recorded in the blend
     * @throws IllegalArgumentException when no held-back frame has a predecessor: the motion scale is then unknown
     */
    public MotionBlend blend(double weight, long pairs) {
        double motion = distances.motionMean();
        if (Double.isNaN(motion)) {
            throw new IllegalArgumentException("none of the " + frames() + " held-back frames follows another frame: "
                    + "the motion stream's scale cannot be learnt (it needs consecutive frames)");
        }
        return new MotionBlend(weight, distances.appearanceMean(), motion, pairs);
    }

    /**
     * A memory blend's scales and gate: the held-back means of the appearance and memory distances (every patch's:
     * the frames must have been scored with every patch asked of the memory), and the appearance distance at its gate
     * quantile.
     */
    public MemoryBlend memoryBlend(MemoryBlend unscaled) {
        if (!distances.hasMemory()) {
            throw new IllegalArgumentException("the held-back frames were scored without the patch memory");
        }
        return new MemoryBlend(unscaled.radius(), unscaled.gateQuantile(),
                distances.appearanceQuantile(unscaled.gateQuantile()), distances.appearanceMean(),
                distances.memoryMean(), unscaled.patchesPerRow());
    }

    /**
     * A motion memory blend's scales and gate, as {@link #memoryBlend} on the motion distances of the frames that
     * had a predecessor: its appearance scale is the motion stream's.
     */
    public MemoryBlend motionMemoryBlend(MemoryBlend unscaled) {
        if (distances.motionMemory() == null) {
            throw new IllegalArgumentException("the held-back frames were scored without the motion memory");
        }
        double motionMean = distances.motionMean();
        if (Double.isNaN(motionMean)) {
            throw new IllegalArgumentException("none of the " + frames() + " held-back frames follows another frame: "
                    + "the motion memory's scale cannot be learnt");
        }
        return new MemoryBlend(unscaled.radius(), unscaled.gateQuantile(),
                distances.motionQuantile(unscaled.gateQuantile()), motionMean, distances.motionMemoryMean(),
                unscaled.patchesPerRow());
    }

    /** The held-back frames' scores under scoring settings of the Gaussians they were scored with. */
    public double[] scores(Detector detector, ModelInfo.FrameScoring scoring) {
        return detector.frameScores(distances, scoring);
    }

    /** The default threshold of scoring settings: the rule on the held-back frames' scores under them. */
    public ThresholdStats threshold(Detector detector, ModelInfo.FrameScoring scoring, ThresholdRule rule) {
        return ThresholdStats.fromNormalScores(scores(detector, scoring), rule);
    }
}
