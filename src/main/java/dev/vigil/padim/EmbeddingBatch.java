package dev.vigil.padim;

/**
 * Patch embeddings of a batch of images, position-major: {@code values[(position * batch + b) * features + k]},
 * i.e. {@code [positions][batch][d]}. A position's {@code [batch][d]} matrix, what the per-position BLAS kernels
 * take, is one contiguous run ({@link #gatherCentred}); the batch is too big for any cache, so that run is what
 * keeps the kernels fed from memory.
 *
 * @param positions grid height x grid width (layer 1's grid)
 * @param features  d, the number of kept channels
 * @param batch     number of images the batch has room for
 */
public record EmbeddingBatch(int positions, int features, int batch, float[] values) implements EmbeddingRows {
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

    /**
     * The first {@code n} images without those {@code keep} leaves out, as a new batch of exactly the kept ones (this
     * batch itself when all are kept): e.g. the frame differences that have a previous frame, for fitting.
     */
    public EmbeddingBatch images(boolean[] keep, int n) {
        int kept = 0;
        for (int b = 0; b < n; b++) {
            kept += keep[b] ? 1 : 0;
        }
        if (kept == n && n == batch) {
            return this;
        }
        EmbeddingBatch out = allocate(positions, features, kept);
        for (int p = 0; p < positions; p++) {
            int row = 0;
            for (int b = 0; b < n; b++) {
                if (keep[b]) {
                    System.arraycopy(values, (p * batch + b) * features, out.values, (p * kept + row++) * features,
                            features);
                }
            }
        }
        return out;
    }

    public float get(int position, int k, int b) {
        return values[(position * batch + b) * features + k];
    }

    public void set(int position, int k, int b, float value) {
        values[(position * batch + b) * features + k] = value;
    }

    /**
     * Distance between consecutive positions' blocks in {@link #gatherCentred}'s output: {@code images x d} plus a
     * pad, because a power-of-two-ish stride would map the 16 blocks being written onto the same few L1 cache sets.
     */
    public int tileStride(int images) {
        return images * features + 32;
    }

    @Override
    public void gather(int images, int p0, int tile, float[] out, int block, int row) {
        int d = features;
        for (int t = 0; t < tile; t++) {
            System.arraycopy(values, (p0 + t) * batch * d, out, t * block + row * d, images * d);
        }
    }

    /**
     * Gathers positions {@code [p0, p0 + tile)} of images {@code [first, first + images)} into
     * {@code out[t * block + (row + b) * d + k]} (row-major {@code [images][d]} per position, what the BLAS kernels
     * take), minus {@code centre[t][k]}. Every read and write is a run of d consecutive floats.
     */
    public void gatherCentred(int first, int images, int p0, int tile, float[] centre, float[] out, int block,
                              int row) {
        int d = features;
        for (int t = 0; t < tile; t++) {
            int c = t * d;
            for (int b = 0; b < images; b++) {
                int src = ((p0 + t) * batch + first + b) * d;
                int dst = t * block + (row + b) * d;
                for (int k = 0; k < d; k++) {
                    out[dst + k] = values[src + k] - centre[c + k];
                }
            }
        }
    }
}
