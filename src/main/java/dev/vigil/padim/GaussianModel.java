package dev.vigil.padim;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

/**
 * The fitted Gaussians of all patch positions: mean {@code [positions][d]} (heap) and precision factor
 * {@code W = L^-1} per position ({@link PrecisionFactor}), packed lower-triangular, float32, held off-heap so the
 * BLAS kernels read it in place.
 * Memory: {@code positions x (d + d(d+1)/2) x 4} bytes: 56 x 56 at d = 100 is 64.6 MB, at d = 550 1.9 GB.
 */
public final class GaussianModel implements AutoCloseable {
    private final int positions;
    private final int features;
    private final int triangle;
    private final float[] mean;
    /** [positions][d(d+1)/2] */
    private final FloatPointer factors;

    private GaussianModel(int positions, int features) {
        if (positions <= 0 || features <= 0) {
            throw new IllegalArgumentException("positions and features must be positive");
        }
        this.positions = positions;
        this.features = features;
        this.triangle = PackedTriangle.size(features);
        this.mean = new float[positions * features];
        this.factors = new FloatPointer((long) positions * triangle);
    }

    /** An all-zero model to be filled through {@link #mean()} and {@link #factorBuffer(int)} (e.g. by a reader). */
    public static GaussianModel allocate(int positions, int features) {
        return new GaussianModel(positions, features);
    }

    /** A model from heap arrays: mean {@code [positions][d]}, factor {@code [positions][d(d+1)/2]}. */
    public static GaussianModel of(int positions, int features, float[] mean, float[][] factor) {
        GaussianModel model = new GaussianModel(positions, features);
        if (mean.length != positions * features || factor.length != positions) {
            throw new IllegalArgumentException("mean/factor sizes do not match " + positions + " positions x "
                    + features + " features");
        }
        System.arraycopy(mean, 0, model.mean, 0, mean.length);
        for (int p = 0; p < positions; p++) {
            model.setFactor(p, factor[p]);
        }
        return model;
    }

    public int positions() {
        return positions;
    }

    public int features() {
        return features;
    }

    /** [positions][d], the live array. */
    public float[] mean() {
        return mean;
    }

    /** A read-write view of position p's packed factor (native byte order), positioned at 0. */
    public FloatBuffer factorBuffer(int p) {
        checkPosition(p);
        // a pointer at the position's own address: a buffer view through a large position would overflow JavaCPP's
        // int byte offsets once the factor set passes 2 GiB (d = 550 on an 84 x 56 grid is 2.85 GB)
        FloatPointer at = factors.getPointer(FloatPointer.class, (long) p * triangle);
        return at.capacity(triangle).asBuffer();
    }

    public float[] factor(int p) {
        float[] out = new float[triangle];
        factorBuffer(p).get(out);
        return out;
    }

    public void setFactor(int p, float[] packed) {
        if (packed.length != triangle) {
            throw new IllegalArgumentException("precision factor of position " + p + " has " + packed.length
                    + " values, expected " + triangle);
        }
        factorBuffer(p).put(packed);
    }

    private void checkPosition(int p) {
        if (p < 0 || p >= positions) {
            throw new IndexOutOfBoundsException("position " + p + " outside 0.." + (positions - 1));
        }
    }

    /** The off-heap factors, for {@link MahalanobisKernel}. */
    FloatPointer factors() {
        return factors;
    }

    int triangle() {
        return triangle;
    }

    public long bytes() {
        return 4L * positions * (features + triangle);
    }

    /**
     * Mahalanobis distances (paper eq. 2) of the first {@code images} images of a batch.
     *
     * @return {@code [images][positions]}
     */
    public float[] mahalanobis(EmbeddingBatch batch, int images) {
        return MahalanobisKernel.distances(this, batch, images);
    }

    /** As {@link #mahalanobis(EmbeddingBatch, int)}, for images {@code [first, first + images)} of the batch. */
    public float[] mahalanobis(EmbeddingBatch batch, int first, int images) {
        return MahalanobisKernel.distances(this, batch, first, images);
    }

    @Override
    public void close() {
        factors.close();
    }
}
