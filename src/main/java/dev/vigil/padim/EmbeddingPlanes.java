package dev.vigil.padim;

/**
 * Patch embeddings of a batch of images kept as the backbone made them: each kept channel's plane at its layer's
 * own resolution, {@code values[b * imageStride + planeOffset(k) + y * W_l + x]}. Layer 2 and 3 planes are not yet
 * repeated onto layer 1's grid, so a batch takes about a quarter of an {@link EmbeddingBatch}'s memory (mobilenetv2
 * at 224 x 224, d = 100: 0.27 MB an image against 1.25 MB). That is what lets a fit merge several batches at once
 * within a small heap; {@link #gather} does the repetition as it hands the fit each position's rows.
 */
public final class EmbeddingPlanes implements EmbeddingRows {
    private final Embeddings layout;
    private final int batch;
    private final float[] values;

    EmbeddingPlanes(Embeddings layout, int batch) {
        this.layout = layout;
        this.batch = batch;
        this.values = new float[Math.multiplyExact(layout.planeFloats(), batch)];
    }

    /** The layout these planes follow: a batch is only ever filled and read by one embedding. */
    public Embeddings layout() {
        return layout;
    }

    @Override
    public int positions() {
        return layout.positions();
    }

    @Override
    public int features() {
        return layout.features();
    }

    @Override
    public int batch() {
        return batch;
    }

    float[] values() {
        return values;
    }

    @Override
    public void gather(int images, int p0, int tile, float[] out, int block, int row) {
        layout.gatherRows(values, images, p0, tile, out, block, row);
    }
}
