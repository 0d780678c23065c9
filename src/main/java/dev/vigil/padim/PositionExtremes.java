package dev.vigil.padim;

/**
 * Per-position extreme-value scales of normal footage: at each patch position, a Gumbel distribution fitted (by its
 * moments) to the maxima of blocks of held-back normal frames' patch grids. A grid standardised by them,
 * {@code (g - mu_p) / beta_p}, says how extreme a patch is for its own position: a position where busy normal
 * footage varies a lot (a crowded walkway) forgives more than one that normal footage leaves quiet. Measured by
 * {@code eval --cross-validate} ({@code evt} variants); not a model setting.
 *
 * @param location {@code [positions]}: mu_p, the Gumbel location of the block maxima
 * @param scale    {@code [positions]}: beta_p, their Gumbel scale, at least a floor (a position never seen to vary)
 */
public record PositionExtremes(float[] location, float[] scale) {
    /** Euler-Mascheroni: the Gumbel mean is mu + gamma beta. */
    private static final double EULER_GAMMA = 0.5772156649015329;

    public PositionExtremes {
        if (location.length != scale.length) {
            throw new IllegalArgumentException("locations and scales of different sizes");
        }
    }

    /**
     * Fits each position's Gumbel to the maxima of consecutive blocks of {@code block} frames of {@code grids}
     * ({@code [frames][positions]}); a last, shorter block counts as a block.
     */
    public static PositionExtremes fit(float[] grids, int frames, int positions, int block) {
        if (frames < 2 * block) {
            throw new IllegalArgumentException("per-position extremes need at least two blocks of " + block
                    + " frames, got " + frames + " frames");
        }
        int blocks = (frames + block - 1) / block;
        double[] sum = new double[positions];
        double[] sumSq = new double[positions];
        for (int k = 0; k < blocks; k++) {
            for (int p = 0; p < positions; p++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int f = k * block; f < Math.min(frames, (k + 1) * block); f++) {
                    max = Math.max(max, grids[f * positions + p]);
                }
                sum[p] += max;
                sumSq[p] += (double) max * max;
            }
        }
        float[] location = new float[positions];
        float[] scale = new float[positions];
        double meanScale = 0;
        for (int p = 0; p < positions; p++) {
            double mean = sum[p] / blocks;
            double var = Math.max(0, (sumSq[p] - blocks * mean * mean) / (blocks - 1));
            scale[p] = (float) (Math.sqrt(6 * var) / Math.PI);
            location[p] = (float) (mean - EULER_GAMMA * scale[p]);
            meanScale += scale[p];
        }
        // a floor of a tenth of the mean scale: a position whose maxima never varied would divide by nothing
        float floor = (float) Math.max(1e-6, 0.1 * meanScale / positions);
        for (int p = 0; p < positions; p++) {
            scale[p] = Math.max(scale[p], floor);
        }
        return new PositionExtremes(location, scale);
    }

    /** The grids standardised per position: {@code (g - mu_p) / beta_p}, {@code [frames][positions]}. */
    public float[] standardise(float[] grids, int frames) {
        int positions = location.length;
        float[] out = new float[frames * positions];
        for (int f = 0; f < frames; f++) {
            for (int p = 0; p < positions; p++) {
                int i = f * positions + p;
                out[i] = (grids[i] - location[p]) / scale[p];
            }
        }
        return out;
    }
}
