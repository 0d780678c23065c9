package dev.vigil.padim;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The fitted Gaussians of all patch positions: mean {@code [positions][d]} and precision factor
 * {@code W = L^-1} per position ({@link PrecisionFactor}), packed, float32.
 * Memory: {@code positions x (d + d(d+1)/2) x 4} bytes: 56 x 56 at d = 100 is 64.6 MB, at d = 550 1.9 GB.
 */
public final class GaussianModel {
    /** positions per parallel task: enough work per task, and each task keeps its scratch in L1/L2 */
    private static final int POSITIONS_PER_TASK = 32;

    private final int positions;
    private final int features;
    private final float[] mean;
    private final float[][] factor;

    public GaussianModel(int positions, int features, float[] mean, float[][] factor) {
        if (mean.length != positions * features || factor.length != positions) {
            throw new IllegalArgumentException("mean/factor sizes do not match " + positions + " positions x "
                    + features + " features");
        }
        int tri = PackedTriangle.size(features);
        for (int p = 0; p < positions; p++) {
            if (factor[p].length != tri) {
                throw new IllegalArgumentException("precision factor of position " + p + " has " + factor[p].length
                        + " values, expected " + tri);
            }
        }
        this.positions = positions;
        this.features = features;
        this.mean = mean;
        this.factor = factor;
    }

    public int positions() {
        return positions;
    }

    public int features() {
        return features;
    }

    /** [positions][d], shared: do not modify. */
    public float[] mean() {
        return mean;
    }

    /** Packed {@code L^-1} of position p, shared: do not modify. */
    public float[] factor(int p) {
        return factor[p];
    }

    public long bytes() {
        return 4L * positions * (features + PackedTriangle.size(features));
    }

    /**
     * Mahalanobis distances (paper eq. 2) of the first {@code images} images of a batch, in parallel over positions.
     * Each position's precision factor is read once for the whole batch, which is what makes scoring cheap next to
     * the backbone: the factor set (65 MB at d = 100) is far bigger than any cache.
     *
     * @return {@code [images][positions]}
     */
    public float[] mahalanobis(EmbeddingBatch batch, int images) {
        if (batch.positions() != positions || batch.features() != features) {
            throw new IllegalArgumentException("batch has " + batch.positions() + " positions x " + batch.features()
                    + " features, the model expects " + positions + " x " + features);
        }
        float[] out = new float[images * positions];
        ForkJoinPool.commonPool().invoke(new Task(batch, images, out, 0, positions));
        return out;
    }

    private final class Task extends RecursiveAction {
        private final EmbeddingBatch batch;
        private final int images;
        private final float[] out;
        private final int from;
        private final int to;

        Task(EmbeddingBatch batch, int images, float[] out, int from, int to) {
            this.batch = batch;
            this.images = images;
            this.out = out;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from > POSITIONS_PER_TASK) {
                int mid = (from + to) >>> 1;
                invokeAll(new Task(batch, images, out, from, mid), new Task(batch, images, out, mid, to));
                return;
            }
            int d = features;
            int stride = batch.batch();
            // the batch dimension is padded to a multiple of 8 so the inner loops vectorise without a tail
            int width = (images + 7) & ~7;
            float[] centred = new float[d * width];
            float[] z = new float[width];
            float[] z2 = new float[width];
            float[] sum = new float[width];
            float[] x = batch.values();
            for (int p = from; p < to; p++) {
                for (int k = 0; k < d; k++) {
                    float m = mean[p * d + k];
                    int src = (p * d + k) * stride;
                    int dst = k * width;
                    for (int b = 0; b < images; b++) {
                        centred[dst + b] = x[src + b] - m;
                    }
                }
                distances(factor[p], d, centred, width, z, z2, sum);
                for (int b = 0; b < images; b++) {
                    out[b * positions + p] = (float) Math.sqrt(sum[b]);
                }
            }
        }
    }

    /**
     * {@code sum[b] = |W xc_b|^2} for the columns of {@code centred} ([d][width]); W packed lower triangular.
     * Two rows of W at a time, so each column of {@code centred} loaded serves two multiply-adds.
     */
    static void distances(float[] w, int d, float[] centred, int width, float[] z, float[] z2, float[] sum) {
        java.util.Arrays.fill(sum, 0f);
        int i = 0;
        for (; i + 1 < d; i += 2) {
            java.util.Arrays.fill(z, 0f);
            java.util.Arrays.fill(z2, 0f);
            int r0 = PackedTriangle.rowStart(i);
            int r1 = PackedTriangle.rowStart(i + 1);
            for (int k = 0; k <= i; k++) {
                float u0 = w[r0 + k];
                float u1 = w[r1 + k];
                int c = k * width;
                for (int b = 0; b < width; b++) {
                    float v = centred[c + b];
                    z[b] += u0 * v;
                    z2[b] += u1 * v;
                }
            }
            float u = w[r1 + i + 1];
            int c = (i + 1) * width;
            for (int b = 0; b < width; b++) {
                float v = z2[b] + u * centred[c + b];
                sum[b] += z[b] * z[b] + v * v;
            }
        }
        if (i < d) {
            java.util.Arrays.fill(z, 0f);
            int r0 = PackedTriangle.rowStart(i);
            for (int k = 0; k <= i; k++) {
                float u0 = w[r0 + k];
                int c = k * width;
                for (int b = 0; b < width; b++) {
                    z[b] += u0 * centred[c + b];
                }
            }
            for (int b = 0; b < width; b++) {
                sum[b] += z[b] * z[b];
            }
        }
    }
}
