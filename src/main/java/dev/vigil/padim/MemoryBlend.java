package dev.vigil.padim;

/**
 * How a model with a patch memory ({@link PatchMemory}) lets it call patches normal: the header's {@code memory}
 * object. A patch is normal if it is normal for its position or close to normal patches seen anywhere in its rows, so
 * its appearance distance becomes the smaller of the two, each over its normal scale ({@link #apply}), before a motion
 * blend and the frame score. The memory's patches are the model file's last payload block.
 *
 * @param radius          R: a patch in grid row y is compared with the memories of rows y-R..y+R
 * @param gateQuantile    Q: the memory is asked only about patches whose appearance distance is above the
 *                        Q-quantile of the held-back frames' ({@link #gate}); 0 asks about every patch
 * @param gate            that appearance distance: at or below it a patch keeps its appearance distance, which is
 *                        already normal, and the nearest-neighbour search is skipped (most of a frame's patches)
 * @param appearanceScale mean distance of the held-back normal frames in the stream the memory lowers: the
 *                        appearance's (for the motion stream's memory, of frame differences, the motion's)
 * @param memoryScale     mean memory distance of the held-back normal frames
 * @param patchesPerRow   patches the memory keeps for each grid row
 */
public record MemoryBlend(int radius, double gateQuantile, double gate, double appearanceScale, double memoryScale,
                          int patchesPerRow) {
    /**
     * The widest row band half-width: people of one size sit within a few rows (results.md: R = 0, 1 and 2 score
     * alike), and a model file's radius is untrusted, so that no header can make the scorer build absurd bands.
     */
    public static final int MAX_RADIUS = 64;

    public MemoryBlend {
        if (radius < 0 || radius > MAX_RADIUS) {
            throw new IllegalArgumentException("the memory's row band half-width must be from 0 to " + MAX_RADIUS
                    + ", got " + radius);
        }
        if (!(gateQuantile >= 0 && gateQuantile < 1)) {
            throw new IllegalArgumentException("the memory's gate quantile must be in [0, 1), got " + gateQuantile);
        }
        if (!(gate >= 0) || Double.isInfinite(gate)) {
            throw new IllegalArgumentException("the memory's gate must be a distance >= 0, got " + gate);
        }
        if (!(appearanceScale > 0) || !(memoryScale > 0) || Double.isInfinite(appearanceScale)
                || Double.isInfinite(memoryScale)) {
            throw new IllegalArgumentException("memory scales must be positive, got " + appearanceScale + " and "
                    + memoryScale);
        }
        if (patchesPerRow < 1) {
            throw new IllegalArgumentException("the memory needs at least one patch per row, got " + patchesPerRow);
        }
    }

    /** Before the held-back frames give the scales and the gate: every patch is asked about, at scales of 1. */
    public static MemoryBlend unscaled(int radius, double gateQuantile, int patchesPerRow) {
        return new MemoryBlend(radius, gateQuantile, 0, 1, 1, patchesPerRow);
    }

    /** The same memory and scales, gated at another quantile's distance: a setting compared on the same fit. */
    public MemoryBlend withGate(double quantile, double distance) {
        return new MemoryBlend(radius, quantile, distance, appearanceScale, memoryScale, patchesPerRow);
    }

    /**
     * Per patch, the appearance distance, or the memory distance in appearance units where that is smaller and the
     * patch is above the gate. A memory distance of +infinity (not searched) leaves the appearance distance.
     */
    public float[] apply(float[] appearance, float[] memory) {
        if (appearance.length != memory.length) {
            throw new IllegalArgumentException("appearance and memory distances of different sizes");
        }
        float[] out = new float[appearance.length];
        double ratio = appearanceScale / memoryScale;
        for (int i = 0; i < out.length; i++) {
            float a = appearance[i];
            out[i] = a <= gate ? a : (float) Math.min(a, memory[i] * ratio);
        }
        return out;
    }
}
