package dev.vigil.padim;

/**
 * Patch embeddings of a batch of images, laid out {@code values[(position * features + k) * batch + b]}:
 * position-major with the batch innermost, so that the per-position kernels (co-moment, Mahalanobis) read one
 * contiguous {@code [features][batch]} block and vectorise over the batch.
 *
 * @param positions grid height x grid width (layer 1's grid)
 * @param features  d, the number of kept channels
 * @param batch     number of images
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
        return new EmbeddingBatch(positions, features, batch, new float[positions * features * batch]);
    }

    public float get(int position, int k, int b) {
        return values[(position * features + k) * batch + b];
    }
}
