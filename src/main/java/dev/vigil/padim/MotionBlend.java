package dev.vigil.padim;

/**
 * How a model with a motion stream blends it into its patch distances ({@link FrameDifferences#blend}): the header's
 * {@code motion} object. The Gaussians of the frame differences are the model file's second payload block.
 *
 * @param weight          w, the motion stream's weight (positive)
 * @param appearanceScale mean appearance distance of the held-back normal frames
 * @param motionScale     mean motion distance of the held-back normal frames that had a predecessor
 * @param trainingPairs   consecutive frame pairs the motion Gaussians were fitted on
 */
public record MotionBlend(double weight, double appearanceScale, double motionScale, long trainingPairs) {
    public MotionBlend {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("motion weight must be positive, got " + weight);
        }
        if (!(appearanceScale > 0) || !(motionScale > 0) || Double.isInfinite(appearanceScale)
                || Double.isInfinite(motionScale)) {
            throw new IllegalArgumentException("motion blend scales must be positive, got " + appearanceScale + " and "
                    + motionScale);
        }
    }

    /** The same scales with another weight: a setting compared on the same fit. */
    public MotionBlend withWeight(double w) {
        return new MotionBlend(w, appearanceScale, motionScale, trainingPairs);
    }

    /** The blended patch distances of {@code images} frames ({@code [images][positions]} each). */
    public float[] blend(float[] appearance, float[] motion, boolean[] valid, int images, int positions) {
        return FrameDifferences.blend(appearance, motion, valid, images, positions, weight, appearanceScale,
                motionScale);
    }
}
