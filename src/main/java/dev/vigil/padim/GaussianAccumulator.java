package dev.vigil.padim;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Streaming fit of one multivariate Gaussian per patch position (paper section 3.2). Holds, per position, the
 * count, the mean and the co-moment {@code M2 = sum (x - mu)(x - mu)^T} in float64, so memory stays
 * {@code positions x d(d+1)/2} doubles however many frames are seen. Partial fits merge exactly (Chan et al.'s
 * pairwise update), so several workers can each fit a share of the frames.
 *
 * <p>Each batch's own co-moment {@code Xc^T Xc} (centred on the batch mean, hence small and well conditioned in
 * float32) is one BLAS ssyrk per position; it is then merged into the float64 totals.
 */
public final class GaussianAccumulator implements GaussianSums {
    /** positions per parallel task */
    private static final int POSITIONS_PER_TASK = 32;
    /** positions gathered together: one cache line of each channel plane */
    private static final int TILE = 16;

    private final int positions;
    private final int features;
    private long count;
    /** [positions][d] */
    private final double[] mean;
    /** [positions][d(d+1)/2], packed lower triangle */
    private final double[][] comoment;

    public GaussianAccumulator(int positions, int features) {
        this.positions = positions;
        this.features = features;
        this.mean = new double[positions * features];
        this.comoment = new double[positions][PackedTriangle.size(features)];
    }

    @Override
    public int positions() {
        return positions;
    }

    @Override
    public int features() {
        return features;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long bytes() {
        return 8L * positions * (PackedTriangle.size(features) + features);
    }

    @Override
    public GaussianAccumulator toAccumulator() {
        return this;
    }

    /**
     * Adds several batches as one: per position, one co-moment product over all their images and one merge into the
     * float64 totals. Merging reads and writes every position's d(d+1)/2 doubles (3.8 GB at 56 x 56, d = 550), so
     * merging once per several backbone batches is what keeps fitting close to the backbone's speed.
     *
     * @param images how many images of each batch to add
     */
    @Override
    public void add(List<? extends EmbeddingRows> batches, int[] images) {
        int total = GaussianSums.imagesAsked(batches, images, batch ->
                batch.positions() != positions || batch.features() != features ? "batch has " + batch.positions()
                        + " positions x " + batch.features() + " features, the fit expects " + positions + " x "
                        + features : null);
        if (total <= 0) {
            return;
        }
        Blas.init();
        int n = total;
        int tasks = (positions + POSITIONS_PER_TASK - 1) / POSITIONS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int from = task * POSITIONS_PER_TASK;
            addPositions(batches, images, n, from, Math.min(positions, from + POSITIONS_PER_TASK));
        });
        count += total;
    }

    private void addPositions(List<? extends EmbeddingRows> batches, int[] images, int total, int from, int to) {
        int d = features;
        int block = total * d + 32;
        float[] gathered = Scratch.array(0, TILE * block);
        float[] centre = Scratch.array(1, TILE * d);
        double[] batchMean = new double[TILE * d];
        float[] product = new float[PackedTriangle.size(d)];
        FloatPointer xc = Scratch.floats(0, (long) TILE * block);
        FloatPointer dense = Scratch.floats(1, (long) d * d);
        FloatBuffer denseRows = dense.position(0).asBuffer();
        for (int p0 = from; p0 < to; p0 += TILE) {
            int tile = Math.min(TILE, to - p0);
            // one pass over the embeddings (they come from memory, the tile stays in cache): gather, then the
            // batch mean and the centring from the gathered copy
            int row = 0;
            for (int j = 0; j < batches.size(); j++) {
                batches.get(j).gather(images[j], p0, tile, gathered, block, row);
                row += images[j];
            }
            java.util.Arrays.fill(batchMean, 0, tile * d, 0);
            for (int t = 0; t < tile; t++) {
                int m = t * d;
                for (int b = 0; b < total; b++) {
                    int src = t * block + b * d;
                    for (int k = 0; k < d; k++) {
                        batchMean[m + k] += gathered[src + k];
                    }
                }
            }
            for (int i = 0; i < tile * d; i++) {
                batchMean[i] /= total;
                // centring on the float-rounded mean: its offset from the exact mean is ~1e-7 relative, far
                // below float32 rounding of the product itself
                centre[i] = (float) batchMean[i];
            }
            for (int t = 0; t < tile; t++) {
                int m = t * d;
                for (int b = 0; b < total; b++) {
                    int src = t * block + b * d;
                    for (int k = 0; k < d; k++) {
                        gathered[src + k] -= centre[m + k];
                    }
                }
            }
            xc.position(0).put(gathered, 0, tile * block);
            for (int t = 0; t < tile; t++) {
                // lower triangle of Xc^T Xc, row-major; its rows copied straight into the packed layout (no
                // LAPACK repacking, which cost as much as the merge)
                openblas.cblas_ssyrk(openblas.CblasRowMajor, openblas.CblasLower, openblas.CblasTrans, d, total,
                        1f, xc.position((long) t * block), d, 0f, dense.position(0), d);
                for (int i = 0; i < d; i++) {
                    denseRows.get(i * d, product, PackedTriangle.rowStart(i), i + 1);
                }
                mergeBatch(p0 + t, product, batchMean, t * d, total);
            }
        }
    }

    /** Chan et al.: M2 = M2a + M2b + delta delta^T na nb / n, mean = mean_a + delta nb / n. */
    private void mergeBatch(int p, float[] product, double[] batchMean, int meanOffset, int images) {
        int d = features;
        double na = count;
        double nb = images;
        double n = na + nb;
        double[] delta = new double[d];
        for (int k = 0; k < d; k++) {
            delta[k] = batchMean[meanOffset + k] - mean[p * d + k];
        }
        double w = na * nb / n;
        double[] m2 = comoment[p];
        for (int i = 0; i < d; i++) {
            int row = PackedTriangle.rowStart(i);
            double di = delta[i] * w;
            for (int j = 0; j <= i; j++) {
                m2[row + j] += product[row + j] + di * delta[j];
            }
        }
        for (int k = 0; k < d; k++) {
            mean[p * d + k] += delta[k] * nb / n;
        }
    }

    /** Adds another partial fit of the same shape into this one (exact, order-independent up to rounding). */
    public void merge(GaussianAccumulator other) {
        if (other.positions != positions || other.features != features) {
            throw new IllegalArgumentException("cannot merge a fit of " + other.positions + "x" + other.features
                    + " into one of " + positions + "x" + features);
        }
        if (other.count == 0) {
            return;
        }
        if (count == 0) {
            System.arraycopy(other.mean, 0, mean, 0, mean.length);
            for (int p = 0; p < positions; p++) {
                System.arraycopy(other.comoment[p], 0, comoment[p], 0, comoment[p].length);
            }
            count = other.count;
            return;
        }
        int d = features;
        double na = count;
        double nb = other.count;
        double n = na + nb;
        double w = na * nb / n;
        for (int p = 0; p < positions; p++) {
            double[] m2 = comoment[p];
            double[] o = other.comoment[p];
            for (int i = 0; i < d; i++) {
                double di = (other.mean[p * d + i] - mean[p * d + i]) * w;
                int row = PackedTriangle.rowStart(i);
                for (int j = 0; j <= i; j++) {
                    double dj = other.mean[p * d + j] - mean[p * d + j];
                    m2[row + j] += o[row + j] + di * dj;
                }
            }
            for (int k = 0; k < d; k++) {
                mean[p * d + k] += (other.mean[p * d + k] - mean[p * d + k]) * nb / n;
            }
        }
        count += other.count;
    }

    /** The float64 means, {@code [positions][d]}, as held (for {@link PartialFitFile}). */
    double[] means() {
        return mean;
    }

    /** Position p's float64 co-moment, packed lower triangle, as held (for {@link PartialFitFile}). */
    double[] comoment(int p) {
        return comoment[p];
    }

    /** Sets the frame count of sums read back from a file (for {@link PartialFitFile}). */
    void restoreCount(long frames) {
        this.count = frames;
    }

    @Override
    public double[] mean(int p) {
        double[] out = new double[features];
        System.arraycopy(mean, p * features, out, 0, features);
        return out;
    }

    @Override
    public double[] covariance(int p, double eps) {
        if (count < 2) {
            throw new IllegalStateException("a covariance needs at least 2 frames, got " + count);
        }
        int d = features;
        double[] cov = new double[d * d];
        double[] m2 = comoment[p];
        double scale = 1.0 / (count - 1);
        for (int i = 0; i < d; i++) {
            int row = PackedTriangle.rowStart(i);
            for (int j = 0; j <= i; j++) {
                double v = m2[row + j] * scale;
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
            cov[i * d + i] += eps;
        }
        return cov;
    }

    /**
     * Finishes the fit: mean and precision factor per position (see {@link GaussianModel}). With {@code release},
     * each position's float64 co-moment is dropped once converted, so a large fit does not hold both at once; the
     * accumulator is then unusable.
     */
    @Override
    public GaussianModel finish(double eps, boolean release) {
        if (count < 2) {
            throw new IllegalStateException("fitting needs at least 2 frames, got " + count);
        }
        int d = features;
        GaussianModel model = GaussianModel.allocate(positions, d);
        float[] meanOut = model.mean();
        for (int i = 0; i < meanOut.length; i++) {
            meanOut[i] = (float) mean[i];
        }
        IntStream.range(0, positions).parallel().forEach(p -> {
            model.setFactor(p, PrecisionFactor.fromCovariance(covariance(p, eps), d, p));
            if (release) {
                comoment[p] = null;
            }
        });
        return model;
    }
}
