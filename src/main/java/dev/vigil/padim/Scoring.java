package dev.vigil.padim;

/**
 * How a model to be fitted will score frames: its frame score, and the motion stream's weight in the blend (0: none,
 * the appearance alone). The paper's PaDiM is {@link #PLAIN}; {@code eval --variants} compares the choices.
 *
 * @param frameScore   how the frame score is taken from the patch distances
 * @param motionWeight w of {@link FrameDifferences#blend}, or 0 for no motion stream
 */
public record Scoring(FrameScore frameScore, double motionWeight) {
    public static final Scoring PLAIN = new Scoring(FrameScore.MAX, 0);

    public Scoring {
        if (frameScore == null) {
            frameScore = FrameScore.MAX;
        }
        if (!(motionWeight >= 0) || Double.isInfinite(motionWeight)) {
            throw new IllegalArgumentException("motion weight must be 0 (none) or positive, got " + motionWeight);
        }
    }

    public static Scoring of(FrameScore frameScore) {
        return new Scoring(frameScore, 0);
    }

    public boolean usesMotion() {
        return motionWeight > 0;
    }
}
