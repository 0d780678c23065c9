package dev.vigil.padim;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The motion stream's input: each frame's patch embeddings minus those of the frame before it, at the same positions.
 * Fitting and scoring these differences with per-position Gaussians, exactly as the appearance embeddings are, models
 * how each part of the scene normally changes from one frame to the next: pedestrians walk, bicycles and carts move
 * faster and change their patches more. Causal: it keeps only the last frame's embeddings ({@code positions x d}
 * floats); after {@link #reset} (a new clip, a gap, a restart) the first frame has no difference.
 */
public final class FrameDifferences {
    private final int positions;
    private final int features;
    private final float[] previous;
    private boolean hasPrevious;
    /** the last result, reused while batches keep their size: a batch is tens of MB */
    private EmbeddingBatch out;

    public FrameDifferences(int positions, int features) {
        this.positions = positions;
        this.features = features;
        this.previous = new float[Math.multiplyExact(positions, features)];
    }

    /** Forgets the last frame: the next one starts a new sequence. */
    public void reset() {
        hasPrevious = false;
    }

    /**
     * Differences of images {@code [first, first + n)} of a batch, each with the frame before it (the previous call's
     * last image for the first one). Remembers the last image for the next call.
     *
     * @param valid receives, per image, whether it had a previous frame (its difference is zero when not)
     * @return {@code [positions][n][d]}, valid until the next call (its memory is reused)
     */
    public EmbeddingBatch next(EmbeddingBatch batch, int first, int n, boolean[] valid) {
        return next(batch, first, n, null, valid);
    }

    /**
     * As {@link #next(EmbeddingBatch, int, int, boolean[])}, for frames that are not all consecutive: an image whose
     * {@code follows} is false starts a new sequence (a new clip, a gap in the stream), so it gets no difference.
     *
     * @param follows per image, whether it comes right after the image before it (the previous call's last for the
     *                first); null: all do
     */
    public EmbeddingBatch next(EmbeddingBatch batch, int first, int n, boolean[] follows, boolean[] valid) {
        if (batch.positions() != positions || batch.features() != features) {
            throw new IllegalArgumentException("batch has " + batch.positions() + " positions x " + batch.features()
                    + " features, the differences expect " + positions + " x " + features);
        }
        int d = features;
        int rows = Math.max(1, n);
        if (out == null || out.batch() != rows) {
            out = EmbeddingBatch.allocate(positions, d, rows);
        }
        for (int b = 0; b < n; b++) {
            valid[b] = (b > 0 || hasPrevious) && (follows == null || follows[b]);
        }
        float[] v = batch.values();
        float[] o = out.values();
        int stride = batch.batch();
        // memory-bound: positions in parallel, like the other per-position kernels
        IntStream.range(0, positions).parallel().forEach(p -> {
            for (int b = 0; b < n; b++) {
                int dst = (p * rows + b) * d;
                if (!valid[b]) {
                    Arrays.fill(o, dst, dst + d, 0f);
                    continue;
                }
                int src = (p * stride + first + b) * d;
                float[] before = b == 0 ? previous : v;
                int prev = b == 0 ? p * d : src - d;
                for (int k = 0; k < d; k++) {
                    o[dst + k] = v[src + k] - before[prev + k];
                }
            }
            if (n > 0) {
                System.arraycopy(v, (p * stride + first + n - 1) * d, previous, p * d, d);
            }
        });
        if (n > 0) {
            hasPrevious = true;
        }
        return out;
    }

    /**
     * Appearance and motion distances as one grid: each divided by its mean over held-back normal frames, so that
     * neither dominates by its units, then {@code (a/sa + w m/sm) sa / (1 + w)}: back on the appearance's scale, and
     * equal to it where motion is as usual. A frame without a predecessor counts its motion as usual ({@code m = sm}).
     *
     * @param appearance  {@code [images][positions]}
     * @param motion      {@code [images][positions]}
     * @param valid       per image, whether its motion distances exist
     * @param weight      w, the motion stream's weight
     * @return {@code [images][positions]}
     */
    public static float[] blend(float[] appearance, float[] motion, boolean[] valid, int images, int positions,
                                double weight, double appearanceScale, double motionScale) {
        if (!(appearanceScale > 0) || !(motionScale > 0) || !(weight >= 0)) {
            throw new IllegalArgumentException("blend needs positive scales and a non-negative weight, got scales "
                    + appearanceScale + ", " + motionScale + " and weight " + weight);
        }
        float[] out = new float[images * positions];
        double norm = appearanceScale / (1 + weight);
        for (int b = 0; b < images; b++) {
            for (int p = b * positions; p < (b + 1) * positions; p++) {
                double m = valid[b] ? motion[p] / motionScale : 1.0;
                out[p] = (float) ((appearance[p] / appearanceScale + weight * m) * norm);
            }
        }
        return out;
    }
}
