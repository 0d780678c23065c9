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
 * @param maxGroupFrames at most this many frames' embeddings wait to be merged into the accumulator together: fewer
 *                      merges against less memory
 */
public record FitOptions(int features, long seed, double eps, int batchSize, int holdOutEvery, int maxHeldOut,
                         String label, int maxGroupFrames) {
    public static final double DEFAULT_EPS = 0.01;
    public static final int DEFAULT_HOLD_OUT_EVERY = 10;
    public static final int DEFAULT_MAX_HELD_OUT = 500;

    /** Embeddings merged into the accumulator together as the heap allows, up to 256 frames ({@link FitStage}). */
    public FitOptions(int features, long seed, double eps, int batchSize, int holdOutEvery, int maxHeldOut,
                      String label) {
        this(features, seed, eps, batchSize, holdOutEvery, maxHeldOut, label, FitStage.TARGET_FRAMES);
    }

    /** The same, holding none back: the caller derives the threshold itself. */
    public FitOptions withoutHoldOut() {
        return new FitOptions(features, seed, eps, batchSize, 0, maxHeldOut, label, maxGroupFrames);
    }

    /**
     * Whether the {@code index}-th frame (0-based) is held back, {@code heldSoFar} being held already: frames 90-99,
     * 190-199, ... for n = 10, so a held-back frame's neighbours are mostly unseen too.
     */
    public boolean heldOut(long index, int heldSoFar) {
        int n = holdOutEvery;
        return n > 0 && (index / n) % n == n - 1 && heldSoFar < maxHeldOut;
    }

    /** Whether a fit of {@code frames} frames holds any back: the first block is frames n(n-1) to n^2-1. */
    public boolean holdsBackAny(long frames) {
        return holdOutEvery > 0 && maxHeldOut > 0 && frames > (long) holdOutEvery * (holdOutEvery - 1);
    }

    /** The paper's d: 100, or 550 for backbones as wide as Wide-ResNet-50-2 (1792 channels over layers 1-3). */
    public static int defaultFeatures(int totalChannels) {
        return Math.min(totalChannels, totalChannels >= 1000 ? 550 : 100);
    }
}
