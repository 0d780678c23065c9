package dev.vigil.padim;

/**
 * How a model to be fitted will be fitted and score frames: its frame score, the motion stream's weight in the blend
 * (0: none, the appearance alone), and the spatial pooling of its Gaussians. The paper's PaDiM is {@link #PLAIN};
 * {@code eval --variants} and {@code eval --cross-validate} compare the choices.
 *
 * @param frameScore   how the frame score is taken from the patch distances
 * @param motionWeight w of {@link FrameDifferences#blend}, or 0 for no motion stream
 * @param pooling      how each position's Gaussian borrows its neighbours' statistics ({@link SpatialPooling#NONE}:
 *                     not at all, the paper's)
 */
public record Scoring(FrameScore frameScore, double motionWeight, SpatialPooling pooling) {
    public static final Scoring PLAIN = new Scoring(FrameScore.MAX, 0);
    /**
     * The default for video (clips, cameras): the motion stream with weight 3, each frame scored by its top 5 % of
     * patches. Chosen on the cross-validation of docs/results.md ("Settings chosen on unseen footage"); still images
     * keep the paper's {@link #PLAIN}, which has no motion to blend.
     */
    public static final Scoring VIDEO = new Scoring(new FrameScore(0.05), 3);

    public Scoring {
        if (frameScore == null) {
            frameScore = FrameScore.MAX;
        }
        if (pooling == null) {
            pooling = SpatialPooling.NONE;
        }
        if (!(motionWeight >= 0) || Double.isInfinite(motionWeight)) {
            throw new IllegalArgumentException("motion weight must be 0 (none) or positive, got " + motionWeight);
        }
    }

    /** Without spatial pooling. */
    public Scoring(FrameScore frameScore, double motionWeight) {
        this(frameScore, motionWeight, SpatialPooling.NONE);
    }

    public static Scoring of(FrameScore frameScore) {
        return new Scoring(frameScore, 0);
    }

    /** The same without a motion stream. */
    public Scoring withoutMotion() {
        return new Scoring(frameScore, 0, pooling);
    }

    public boolean usesMotion() {
        return motionWeight > 0;
    }
}
