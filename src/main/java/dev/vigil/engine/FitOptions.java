package dev.vigil.engine;

/**
 * How a model is fitted.
 *
 * @param features      d, channels kept
 * @param seed          seed of the channel selection
 * @param eps           added to each covariance's diagonal
 * @param batchSize     frames per backbone batch
 * @param holdOutEvery  n: every n-th block of n consecutive frames is held back from the fit to learn the threshold
 *                      (0: none); whole blocks, because neighbouring video frames are near copies of each other
 * @param maxHeldOut    at most this many held-back frames are kept (later ones go to the fit)
 * @param label         camera id or free label stored in the model
 */
public record FitOptions(int features, long seed, double eps, int batchSize, int holdOutEvery, int maxHeldOut,
                         String label) {
    public static final double DEFAULT_EPS = 0.01;
    public static final int DEFAULT_HOLD_OUT_EVERY = 10;
    public static final int DEFAULT_MAX_HELD_OUT = 500;

    /** The paper's d: 100, or 550 for backbones as wide as Wide-ResNet-50-2 (1792 channels over layers 1-3). */
    public static int defaultFeatures(int totalChannels) {
        return Math.min(totalChannels, totalChannels >= 1000 ? 550 : 100);
    }
}
