package dev.vigil.padim;

import java.util.List;
import java.util.function.Function;

/**
 * The running sums of a streaming fit of one Gaussian per patch position: per position, the count, the mean and the
 * co-moment {@code sum (x - mu)(x - mu)^T} in float64. {@link GaussianAccumulator} keeps them per position, for any
 * embeddings; {@link CellAccumulator} keeps each block once per cell of the layer it comes from, for embeddings kept
 * as the backbone's planes.
 */
public interface GaussianSums {
    int positions();

    int features();

    long count();

    /** What the float64 sums take in memory. */
    long bytes();

    /**
     * Adds several batches as one (per position, one co-moment product over all their images and one merge into the
     * float64 totals).
     *
     * @param images how many images of each batch to add
     */
    void add(List<? extends EmbeddingRows> batches, int[] images);

    /** Adds the first {@code images} images of a batch. */
    default void add(EmbeddingRows batch, int images) {
        add(List.of(batch), new int[]{images});
    }

    /** The mean of position p, float64, a copy. */
    double[] mean(int p);

    /** The covariance of position p, {@code 1/(N-1) M2 + eps I}, as a full d x d row-major matrix. */
    double[] covariance(int p, double eps);

    /**
     * Finishes the fit: mean and precision factor per position (see {@link GaussianModel}). With {@code release},
     * the float64 sums are dropped as they are converted; the sums are then unusable.
     */
    GaussianModel finish(double eps, boolean release);

    /** The same sums per position (this object when they are held so): what partial fits write and merge. */
    GaussianAccumulator toAccumulator();

    /**
     * The images asked of each batch, checked against the batch, added up.
     *
     * @param refusal why a batch is not one this fit takes, or null when it is
     */
    static int imagesAsked(List<? extends EmbeddingRows> batches, int[] images,
                           Function<EmbeddingRows, String> refusal) {
        int total = 0;
        for (int i = 0; i < batches.size(); i++) {
            EmbeddingRows batch = batches.get(i);
            String why = refusal.apply(batch);
            if (why != null) {
                throw new IllegalArgumentException(why);
            }
            if (images[i] > batch.batch() || images[i] < 0) {
                throw new IllegalArgumentException(images[i] + " images asked of a batch of " + batch.batch());
            }
            total += images[i];
        }
        return total;
    }

    /** What {@link #forPlanes} would hold for this layout, without allocating it. */
    public static long bytesForPlanes(Embeddings layout) {
        return layout.cellStructured() ? CellAccumulator.bytes(layout)
                : 8L * layout.positions() * (PackedTriangle.size(layout.features()) + layout.features());
    }

    /**
     * Empty sums for embeddings of this layout fed as {@link EmbeddingPlanes}: per cell when the layout allows it
     * ({@link Embeddings#cellStructured}), per position otherwise.
     */
    static GaussianSums forPlanes(Embeddings layout) {
        return layout.cellStructured() ? new CellAccumulator(layout)
                : new GaussianAccumulator(layout.positions(), layout.features());
    }
}
