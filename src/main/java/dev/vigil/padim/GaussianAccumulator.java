package dev.vigil.padim;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Streaming fit of one multivariate Gaussian per patch position (paper section 3.2). Holds, per position, the
 * count, the mean and the co-moment {@code M2 = sum (x - mu)(x - mu)^T} in float64, so memory stays
 * {@code positions x d(d+1)/2} doubles however many frames are seen. Partial fits merge exactly (Chan et al.'s
 * pairwise update), so several workers can each fit a share of the frames.
 *
 * <p>Each batch's own co-moment {@code Xc Xc^T} (centred on the batch mean, hence small and well conditioned in
 * float32) is a batched matrix product done by ND4J; it is then merged into the float64 totals.
 */
public final class GaussianAccumulator {
    /** positions per ND4J batched product: bounds the scratch to about 16 MB at d = 550 */
    private static final int GROUP = 16;

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

    public int positions() {
        return positions;
    }

    public int features() {
        return features;
    }

    public long count() {
        return count;
    }

    /** Adds the first {@code images} images of a batch. */
    public void add(EmbeddingBatch batch, int images) {
        if (batch.positions() != positions || batch.features() != features) {
            throw new IllegalArgumentException("batch has " + batch.positions() + " positions x " + batch.features()
                    + " features, the fit expects " + positions + " x " + features);
        }
        if (images <= 0) {
            return;
        }
        int d = features;
        int stride = batch.batch();
        float[] x = batch.values();
        double[] batchMean = new double[positions * d];
        for (int start = 0; start < positions; start += GROUP) {
            int group = Math.min(GROUP, positions - start);
            float[] centred = new float[group * d * images];
            for (int g = 0; g < group; g++) {
                int p = start + g;
                for (int k = 0; k < d; k++) {
                    int src = (p * d + k) * stride;
                    double sum = 0;
                    for (int b = 0; b < images; b++) {
                        sum += x[src + b];
                    }
                    double m = sum / images;
                    batchMean[p * d + k] = m;
                    int dst = (g * d + k) * images;
                    for (int b = 0; b < images; b++) {
                        centred[dst + b] = (float) (x[src + b] - m);
                    }
                }
            }
            INDArray xc = Nd4j.create(centred, new long[]{group, d, images}, DataType.FLOAT);
            // [group][d][d] = Xc Xc^T for every position of the group in one call
            float[] product = Nd4j.matmul(xc, xc, false, true, false).data().asFloat();
            xc.close();
            for (int g = 0; g < group; g++) {
                mergeBatch(start + g, product, g * d * d, batchMean, images);
            }
        }
        count += images;
    }

    /** Chan et al.: M2 = M2a + M2b + delta delta^T na nb / n, mean = mean_a + delta nb / n. */
    private void mergeBatch(int p, float[] product, int offset, double[] batchMean, int images) {
        int d = features;
        double na = count;
        double nb = images;
        double n = na + nb;
        double[] delta = new double[d];
        for (int k = 0; k < d; k++) {
            delta[k] = batchMean[p * d + k] - mean[p * d + k];
        }
        double w = na * nb / n;
        double[] m2 = comoment[p];
        for (int i = 0; i < d; i++) {
            int row = PackedTriangle.rowStart(i);
            int prodRow = offset + i * d;
            double di = delta[i] * w;
            for (int j = 0; j <= i; j++) {
                m2[row + j] += product[prodRow + j] + di * delta[j];
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

    /** Mean of position p, a copy. */
    public double[] mean(int p) {
        double[] out = new double[features];
        System.arraycopy(mean, p * features, out, 0, features);
        return out;
    }

    /** Covariance of position p, {@code 1/(N-1) M2 + eps I}, as a full d x d row-major matrix. */
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
    public GaussianModel finish(double eps, boolean release) {
        if (count < 2) {
            throw new IllegalStateException("fitting needs at least 2 frames, got " + count);
        }
        int d = features;
        float[] meanOut = new float[positions * d];
        for (int i = 0; i < meanOut.length; i++) {
            meanOut[i] = (float) mean[i];
        }
        float[][] factor = new float[positions][];
        for (int p = 0; p < positions; p++) {
            factor[p] = PrecisionFactor.fromCovariance(covariance(p, eps), d, p);
            if (release) {
                comoment[p] = null;
            }
        }
        return new GaussianModel(positions, d, meanOut, factor);
    }
}
