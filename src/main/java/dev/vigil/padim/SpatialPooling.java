package dev.vigil.padim;

import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Training-time spatial pooling of the per-position Gaussians: each position's Gaussian is fitted from a weighted
 * neighbourhood of positions, the moment-matched mixture of its neighbours' Gaussians. A per-position Gaussian knows
 * only what its own patch showed in training, so a position people rarely crossed calls any walker there anomalous;
 * pooled, it borrows its neighbours' statistics, "where" blurs while "what" (an embedding unlike any nearby) stays.
 * On a surveillance camera, positions in the same image row see people of about the same size, so the kernel can be
 * wider along the rows than across them.
 *
 * <p>With weights w_q (a separable Gaussian over the grid, truncated at 3 sigma and renormalised at the edges), the
 * pooled mean is {@code sum w_q mu_q} and the pooled covariance {@code sum w_q (C_q + mu_q mu_q^T) - mu mu^T}, then
 * {@code + eps I} as the paper's. Both sums are linear in the per-position moments, so the pooling is done one axis at
 * a time on {@code C_q + mu_q mu_q^T}, in float64.
 *
 * @param sigmaX the kernel's standard deviation along the rows, in patches of layer 1's grid (0: none)
 * @param sigmaY the same across the rows
 */
public record SpatialPooling(double sigmaX, double sigmaY) {
    public static final SpatialPooling NONE = new SpatialPooling(0, 0);

    public SpatialPooling {
        if (!(sigmaX >= 0) || !(sigmaY >= 0) || Double.isInfinite(sigmaX) || Double.isInfinite(sigmaY)) {
            throw new IllegalArgumentException("spatial pooling needs finite non-negative sigmas, got " + sigmaX
                    + " and " + sigmaY);
        }
    }

    /** {@code none}, {@code S} (the same sigma along and across the rows) or {@code SXxSY}, in patches. */
    public static SpatialPooling parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none") || t.equals("0")) {
            return NONE;
        }
        String[] parts = t.split("x", -1);
        try {
            if (parts.length == 1) {
                double s = Double.parseDouble(parts[0]);
                return new SpatialPooling(s, s);
            }
            if (parts.length == 2) {
                return new SpatialPooling(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]));
            }
        } catch (IllegalArgumentException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("spatial pooling must be none, S or SXxSY (sigmas in patches, e.g. 8x1), "
                + "got '" + text + "'");
    }

    public boolean isNone() {
        return sigmaX == 0 && sigmaY == 0;
    }

    /**
     * Finishes a fit with pooled Gaussians (the sums are left as they are).
     *
     * @param gridWidth the patch grid's width: positions are its rows one after another
     */
    public GaussianModel finish(GaussianSums sums, double eps, int gridWidth, int gridHeight) {
        int positions = sums.positions();
        int d = sums.features();
        if (positions != gridWidth * gridHeight) {
            throw new IllegalArgumentException(positions + " positions are not a " + gridWidth + " x " + gridHeight
                    + " grid");
        }
        if (sums.count() < 2) {
            throw new IllegalStateException("fitting needs at least 2 frames, got " + sums.count());
        }
        int triangle = PackedTriangle.size(d);
        // per position: the mean, then the packed second moment C + mu mu^T
        double[][] moments = new double[positions][];
        IntStream.range(0, positions).parallel().forEach(p -> {
            double[] mu = sums.mean(p);
            double[] cov = sums.covariance(p, 0);
            double[] m = new double[d + triangle];
            System.arraycopy(mu, 0, m, 0, d);
            for (int i = 0; i < d; i++) {
                int row = d + PackedTriangle.rowStart(i);
                for (int j = 0; j <= i; j++) {
                    m[row + j] = cov[i * d + j] + mu[i] * mu[j];
                }
            }
            moments[p] = m;
        });
        double[][] pooled = pool(pool(moments, gridWidth, gridHeight, sigmaX, true), gridWidth, gridHeight, sigmaY,
                false);
        GaussianModel model = GaussianModel.allocate(positions, d);
        float[] meanOut = model.mean();
        IntStream.range(0, positions).parallel().forEach(p -> {
            double[] m = pooled[p];
            double[] cov = new double[d * d];
            for (int i = 0; i < d; i++) {
                meanOut[p * d + i] = (float) m[i];
                int row = d + PackedTriangle.rowStart(i);
                for (int j = 0; j <= i; j++) {
                    double v = m[row + j] - m[i] * m[j];
                    cov[i * d + j] = v;
                    cov[j * d + i] = v;
                }
                cov[i * d + i] += eps;
            }
            model.setFactor(p, PrecisionFactor.fromCovariance(cov, d, p));
            pooled[p] = null;
        });
        return model;
    }

    /** One axis of the pooling: each position's moments, the weighted mean of its neighbours' along the axis. */
    private static double[][] pool(double[][] in, int width, int height, double sigma, boolean alongRows) {
        if (sigma == 0) {
            return in;
        }
        int radius = (int) Math.ceil(3 * sigma);
        double[] kernel = new double[2 * radius + 1];
        for (int k = -radius; k <= radius; k++) {
            kernel[k + radius] = Math.exp(-0.5 * k * k / (sigma * sigma));
        }
        int length = in[0].length;
        double[][] out = new double[in.length][];
        IntStream.range(0, in.length).parallel().forEach(p -> {
            int x = p % width;
            int y = p / width;
            int at = alongRows ? x : y;
            int size = alongRows ? width : height;
            double[] o = new double[length];
            double total = 0;
            for (int k = Math.max(-radius, -at); k <= Math.min(radius, size - 1 - at); k++) {
                double w = kernel[k + radius];
                double[] q = in[alongRows ? p + k : p + k * width];
                for (int i = 0; i < length; i++) {
                    o[i] += w * q[i];
                }
                total += w;
            }
            for (int i = 0; i < length; i++) {
                o[i] /= total;
            }
            out[p] = o;
        });
        return out;
    }

    @Override
    public String toString() {
        return isNone() ? "none" : fmt(sigmaX) + "x" + fmt(sigmaY);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
