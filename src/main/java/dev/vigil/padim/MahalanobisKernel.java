package dev.vigil.padim;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.util.stream.IntStream;

/**
 * Batched Mahalanobis distances (paper eq. 2): per position, {@code Z = Xc W^T} for the batch's centred embeddings
 * {@code Xc [images][d]} in one triangular matrix product (BLAS strmm), then {@code M_b = |Z_b|}. Each position's
 * factor is read once per batch, not once per image: the factor set (65 MB at d = 100, 1.9 GB at d = 550) is far
 * bigger than any cache, so per-image passes would be bound by memory.
 */
final class MahalanobisKernel {
    /** positions per task: enough work to amortise the scratch, enough tasks to balance the cores */
    private static final int POSITIONS_PER_TASK = 32;

    private MahalanobisKernel() {
    }

    /** @return {@code [images][positions]} */
    static float[] distances(GaussianModel model, EmbeddingBatch batch, int images) {
        int positions = model.positions();
        int d = model.features();
        if (batch.positions() != positions || batch.features() != d) {
            throw new IllegalArgumentException("batch has " + batch.positions() + " positions x " + batch.features()
                    + " features, the model expects " + positions + " x " + d);
        }
        if (images > batch.batch()) {
            throw new IllegalArgumentException(images + " images asked of a batch of " + batch.batch());
        }
        Blas.init();
        float[] out = new float[images * positions];
        int tasks = (positions + POSITIONS_PER_TASK - 1) / POSITIONS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int from = task * POSITIONS_PER_TASK;
            int to = Math.min(positions, from + POSITIONS_PER_TASK);
            run(model, batch, images, out, from, to);
        });
        return out;
    }

    private static void run(GaussianModel model, EmbeddingBatch batch, int images, float[] out, int from, int to) {
        int positions = model.positions();
        int d = model.features();
        int tri = model.triangle();
        float[] mean = model.mean();
        float[] x = batch.values();
        float[] centred = new float[images * d];
        // a cursor over the model's factors: moved, never closed (closing would free the model's memory)
        FloatPointer factor = new FloatPointer(model.factors());
        try (FloatPointer dense = new FloatPointer((long) d * d);
             FloatPointer z = new FloatPointer((long) images * d)) {
            for (int p = from; p < to; p++) {
                int src = batch.offset(p);
                int m = p * d;
                for (int b = 0; b < images; b++) {
                    int row = src + b * d;
                    int dst = b * d;
                    for (int k = 0; k < d; k++) {
                        centred[dst + k] = x[row + k] - mean[m + k];
                    }
                }
                z.position(0).put(centred, 0, images * d).position(0);
                // row-major lower packed == column-major upper packed: unpack W without a transpose (the _work
                // variant skips LAPACKE's NaN scan of the input)
                openblas.LAPACKE_stpttr_work(openblas.LAPACK_COL_MAJOR, (byte) 'U', d, factor.position((long) p * tri),
                        dense, d);
                openblas.cblas_strmm(openblas.CblasRowMajor, openblas.CblasRight, openblas.CblasLower,
                        openblas.CblasTrans, openblas.CblasNonUnit, images, d, 1f, dense, d, z, d);
                z.get(centred, 0, images * d);
                for (int b = 0; b < images; b++) {
                    double sum = 0;
                    int row = b * d;
                    for (int k = 0; k < d; k++) {
                        float v = centred[row + k];
                        sum += v * v;
                    }
                    out[b * positions + p] = (float) Math.sqrt(sum);
                }
            }
        }
    }
}
