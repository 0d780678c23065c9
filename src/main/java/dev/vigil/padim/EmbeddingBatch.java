package dev.vigil.padim;

/**
 * Patch embeddings of a batch of images, laid out {@code values[(position * batch + b) * features + k]}: for each
 * position a row-major {@code [batch][d]} block, which the per-position BLAS kernels (co-moment, Mahalanobis)
 * take as one matrix.
 *
 * @param positions grid height x grid width (layer 1's grid)
 * @param features  d, the number of kept channels
 * @param batch     number of images the batch has room for
 */
public record EmbeddingBatch(int positions, int features, int batch, float[] values) {
    public EmbeddingBatch {
        if ((long) positions * features * batch != values.length) {
            throw new IllegalArgumentException("embedding batch of " + positions + " positions x " + features
                    + " features x " + batch + " images needs " + (long) positions * features * batch
                    + " values, got " + values.length);
        }
    }

    public static EmbeddingBatch allocate(int positions, int features, int batch) {
        return new EmbeddingBatch(positions, features, batch, new float[Math.multiplyExact(positions, features * batch)]);
    }

    public float get(int position, int k, int b) {
        return values[(position * batch + b) * features + k];
    }

    public void set(int position, int k, int b, float value) {
        values[(position * batch + b) * features + k] = value;
    }

    /** Offset of position p's {@code [batch][d]} block. */
    public int offset(int position) {
        return position * batch * features;
    }
}
