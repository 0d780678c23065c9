package dev.vigil.padim;

/**
 * A batch of patch embeddings as the fit reads it ({@link GaussianAccumulator#add}): for each position, the images'
 * d-vectors as rows. Held either on layer 1's grid ({@link EmbeddingBatch}, what scoring uses) or as the backbone's
 * own planes ({@link EmbeddingPlanes}, a quarter of the memory, what fitting uses).
 */
public sealed interface EmbeddingRows permits EmbeddingBatch, EmbeddingPlanes {
    int positions();

    int features();

    /** Images the batch has room for. */
    int batch();

    /**
     * Copies positions {@code [p0, p0 + tile)} of the first {@code images} images into
     * {@code out[t * block + (row + b) * d + k]}, uncentred: the fit takes the batch mean from this copy while it is
     * in cache.
     */
    void gather(int images, int p0, int tile, float[] out, int block, int row);
}
