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
    /** positions gathered together: one cache line of each channel plane */
    private static final int TILE = 16;

    private MahalanobisKernel() {
    }

    /** @return {@code [images][positions]} */
    static float[] distances(GaussianModel model, EmbeddingBatch batch, int images) {
        return distances(model, batch, 0, images);
    }

    /** Distances of images {@code [first, first + images)}: one camera's frames in a batch shared by several. */
    static float[] distances(GaussianModel model, EmbeddingBatch batch, int first, int images) {
        int positions = model.positions();
        int d = model.features();
        if (batch.positions() != positions || batch.features() != d) {
            throw new IllegalArgumentException("batch has " + batch.positions() + " positions x " + batch.features()
                    + " features, the model expects " + positions + " x " + d);
        }
        if (first < 0 || images < 0 || first + images > batch.batch()) {
            throw new IllegalArgumentException("images " + first + ".." + (first + images - 1) + " asked of a batch of "
                    + batch.batch());
        }
        Blas.init();
        float[] out = new float[images * positions];
        int tasks = (positions + POSITIONS_PER_TASK - 1) / POSITIONS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int from = task * POSITIONS_PER_TASK;
            int to = Math.min(positions, from + POSITIONS_PER_TASK);
            run(model, batch, first, images, out, from, to);
        });
        return out;
    }

    private static void run(GaussianModel model, EmbeddingBatch batch, int first, int images, float[] out, int from,
                            int to) {
        int positions = model.positions();
        int d = model.features();
        int tri = model.triangle();
        int block = batch.tileStride(images);
        float[] mean = model.mean();
        float[] centred = Scratch.array(0, TILE * block);
        float[] centre = Scratch.array(1, TILE * d);
        // a cursor over the model's factors: moved, never closed (closing would free the model's memory)
        FloatPointer factor = new FloatPointer(model.factors());
        FloatPointer dense = Scratch.floats(0, (long) d * d);
        FloatPointer z = Scratch.floats(1, (long) TILE * block);
        {
            for (int p0 = from; p0 < to; p0 += TILE) {
                int tile = Math.min(TILE, to - p0);
                System.arraycopy(mean, p0 * d, centre, 0, tile * d);
                batch.gatherCentred(first, images, p0, tile, centre, centred, block, 0);
                z.position(0).put(centred, 0, tile * block);
                for (int t = 0; t < tile; t++) {
                    // row-major lower packed == column-major upper packed: unpack W without a transpose (the
                    // _work variant skips LAPACKE's NaN scan of the input)
                    openblas.LAPACKE_stpttr_work(openblas.LAPACK_COL_MAJOR, (byte) 'U', d,
                            factor.position((long) (p0 + t) * tri), dense, d);
                    openblas.cblas_strmm(openblas.CblasRowMajor, openblas.CblasRight, openblas.CblasLower,
                            openblas.CblasTrans, openblas.CblasNonUnit, images, d, 1f, dense, d,
                            z.position((long) t * block), d);
                }
                z.position(0).get(centred, 0, tile * block);
                for (int t = 0; t < tile; t++) {
                    for (int b = 0; b < images; b++) {
                        out[b * positions + p0 + t] = (float) Math.sqrt(sumOfSquares(centred, t * block + b * d, d));
                    }
                }
            }
        }
    }

    /** Eight independent partial sums: a single running sum would serialise on the add latency. */
    static float sumOfSquares(float[] v, int from, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = from;
        int end = from + n;
        for (; i + 8 <= end; i += 8) {
            s0 += v[i] * v[i];
            s1 += v[i + 1] * v[i + 1];
            s2 += v[i + 2] * v[i + 2];
            s3 += v[i + 3] * v[i + 3];
            s4 += v[i + 4] * v[i + 4];
            s5 += v[i + 5] * v[i + 5];
            s6 += v[i + 6] * v[i + 6];
            s7 += v[i + 7] * v[i + 7];
        }
        for (; i < end; i++) {
            s0 += v[i] * v[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
