package dev.vigil.padim;

import org.bytedeco.openblas.global.openblas;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A position-free memory of normal patches, one per row of the patch grid (PatchCore's memory bank, Roth et al. 2022,
 * restricted to comparable rows). A per-position Gaussian knows only what its own patch showed in training, so an
 * ordinary walker where people rarely went scores as anomalous; the memory asks instead whether anything like the
 * patch was seen anywhere in the same rows, where, on a surveillance camera, people are of about the same size. A
 * patch's memory distance is the Euclidean distance to its nearest neighbour among the memories of rows
 * {@code y - R .. y + R}; a patch is then called normal if it is normal for its position or close to the memory
 * ({@link MemoryBlend#apply}).
 *
 * <p>Each row's memory is a greedy k-center coreset ({@link Sampler#coreset}) of a random pool of its training patches:
 * the coreset covers the pool's rare patches, where a random subsample of the same size would keep mostly the common
 * ones (empty pavement). A row's patches are kept in the order the greedy picked them, coarse cover first, which
 * {@link #refine} relies on.
 */
public final class PatchMemory {
    /** every how many fitted frames one is offered to the row pools */
    public static final int OFFER_EVERY = 8;
    /** the random pool of training patches per grid row that the coreset is taken from */
    public static final int POOL_PER_ROW = 2048;
    /** the coreset kept per grid row */
    public static final int PER_ROW = 128;

    private final int gridWidth;
    private final int gridHeight;
    private final int features;
    private final int perRow;
    /** per row y: {@code [perRow][d]}, row-major */
    private final float[][] rows;
    /** per row y: the squared norms of its memory's patches */
    private final float[][] norms;

    PatchMemory(int gridWidth, int gridHeight, int features, float[][] rows) {
        if (rows.length != gridHeight || gridHeight == 0) {
            throw new IllegalArgumentException(rows.length + " row memories for a grid of " + gridHeight + " rows");
        }
        this.gridWidth = gridWidth;
        this.gridHeight = gridHeight;
        this.features = features;
        this.rows = rows;
        this.perRow = rows[0].length / features;
        this.norms = new float[gridHeight][];
        for (int y = 0; y < gridHeight; y++) {
            if (rows[y].length == 0 || rows[y].length != perRow * features) {
                throw new IllegalArgumentException("row " + y + "'s memory is empty or not " + perRow
                        + " whole patches as row 0's");
            }
            norms[y] = squaredNorms(rows[y], perRow, features);
        }
    }

    /**
     * A memory from its patches as a model file holds them ({@link #patches}): {@code [gridHeight][perRow][d]}.
     *
     * @throws IllegalArgumentException when the array does not hold whole rows of whole patches, or a value is not
     *                                  finite
     */
    public static PatchMemory of(int gridWidth, int gridHeight, int features, int perRow, float[] patches) {
        if (gridHeight < 1 || perRow < 1 || features < 1
                || patches.length != (long) gridHeight * perRow * features) {
            throw new IllegalArgumentException(patches.length + " floats are not " + gridHeight + " rows of "
                    + perRow + " patches of " + features + " features");
        }
        float[][] rows = new float[gridHeight][];
        for (int y = 0; y < gridHeight; y++) {
            rows[y] = java.util.Arrays.copyOfRange(patches, y * perRow * features, (y + 1) * perRow * features);
            for (float v : rows[y]) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("row " + y + " of the memory holds a value that is not finite");
                }
            }
        }
        return new PatchMemory(gridWidth, gridHeight, features, rows);
    }

    /** Its patches, rows one after another: {@code [gridHeight][perRow][d]}. */
    public float[] patches() {
        float[] out = new float[gridHeight * perRow * features];
        for (int y = 0; y < gridHeight; y++) {
            System.arraycopy(rows[y], 0, out, y * perRow * features, perRow * features);
        }
        return out;
    }

    /** Size of {@link #patches} in bytes (float32). */
    public static long bytes(int gridHeight, int perRow, int features) {
        return 4L * gridHeight * perRow * features;
    }

    /** The patches kept for each row. */
    public int perRow() {
        return perRow;
    }

    /** The patches kept, all rows. */
    public int size() {
        return perRow * gridHeight;
    }

    public int gridWidth() {
        return gridWidth;
    }

    public int gridHeight() {
        return gridHeight;
    }

    public int features() {
        return features;
    }

    /**
     * The memory distances of images {@code [first, first + n)} of a batch: each patch's Euclidean distance to its
     * nearest neighbour among the memories of rows y-R..y+R.
     *
     * @param appearance the images' appearance distances ({@code [n][positions]}), or null to search every patch
     * @param gate       with {@code appearance}: only patches whose appearance distance is above it are searched
     *                   ({@link MemoryBlend#gate}); the others get +infinity
     * @return {@code [n][positions]}
     */
    public float[] distances(EmbeddingBatch batch, int first, int n, int radius, float[] appearance, double gate) {
        if (batch.positions() != gridWidth * gridHeight || batch.features() != features) {
            throw new IllegalArgumentException("batch of " + batch.positions() + " positions x " + batch.features()
                    + " features for a memory of " + gridWidth + " x " + gridHeight + " x " + features);
        }
        if (radius < 0) {
            throw new IllegalArgumentException("the row band half-width must be at least 0");
        }
        int positions = gridWidth * gridHeight;
        if (appearance != null && appearance.length != n * positions) {
            throw new IllegalArgumentException("appearance distances of " + appearance.length + " patches for " + n
                    + " images of " + positions);
        }
        Blas.init();
        float[] out = new float[n * positions];
        int d = features;
        Band band = bands.computeIfAbsent(radius, this::band);
        IntStream.range(0, gridHeight).parallel().forEach(y -> {
            // this row's patches asked about, [patch][d], and where each goes
            int[] at = new int[n * gridWidth];
            int patches = 0;
            for (int x = 0; x < gridWidth; x++) {
                for (int i = 0; i < n; i++) {
                    int o = i * positions + y * gridWidth + x;
                    if (appearance == null || appearance[o] > gate) {
                        at[patches++] = o;
                    } else {
                        out[o] = Float.POSITIVE_INFINITY;
                    }
                }
            }
            if (patches == 0) {
                return;
            }
            float[] a = new float[patches * d];
            for (int k = 0; k < patches; k++) {
                int i = at[k] / positions;
                int p = at[k] - i * positions;
                System.arraycopy(batch.values(), (p * batch.batch() + first + i) * d, a, k * d, d);
            }
            float[] aNorms = squaredNorms(a, patches, d);
            float[] best = new float[patches];
            nearest(a, aNorms, patches, band.patches()[y], band.norms()[y], best);
            for (int k = 0; k < patches; k++) {
                out[at[k]] = (float) Math.sqrt(Math.max(0, best[k]));
            }
        });
        return out;
    }

    /** Per grid row, the memories of its band of rows as one matrix, and their squared norms. */
    private record Band(float[][] patches, float[][] norms) {
    }

    /** the bands of each row band half-width asked for so far: one product per row instead of one per row of it */
    private final java.util.Map<Integer, Band> bands = new java.util.concurrent.ConcurrentHashMap<>();

    private Band band(int radius) {
        float[][] patches = new float[gridHeight][];
        float[][] bandNorms = new float[gridHeight][];
        for (int y = 0; y < gridHeight; y++) {
            // in long: y + radius must not wrap, whatever radius a caller passes
            int from = (int) Math.max(0, (long) y - radius);
            int to = (int) Math.min(gridHeight - 1, (long) y + radius);
            patches[y] = new float[(to - from + 1) * perRow * features];
            bandNorms[y] = new float[(to - from + 1) * perRow];
            for (int y2 = from; y2 <= to; y2++) {
                System.arraycopy(rows[y2], 0, patches[y], (y2 - from) * perRow * features, perRow * features);
                System.arraycopy(norms[y2], 0, bandNorms[y], (y2 - from) * perRow, perRow);
            }
        }
        return new Band(patches, bandNorms);
    }

    /** Squared distance of each of the patches {@code a} to its nearest neighbour among {@code b}. */
    private void nearest(float[] a, float[] aNorms, int patches, float[] b, float[] bNorms, float[] out) {
        int m = bNorms.length;
        float[] dots = new float[patches * m];
        // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, the products in one sgemm
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, patches, m,
                features, 1f, a, features, b, features, 0f, dots, m);
        for (int i = 0; i < patches; i++) {
            float min = Float.POSITIVE_INFINITY;
            int at = i * m;
            for (int j = 0; j < m; j++) {
                min = Math.min(min, bNorms[j] - 2 * dots[at + j]);
            }
            out[i] = aNorms[i] + min;
        }
    }

    /**
     * This memory with patches added: per grid row, the row's patches and the row's new ones reduced back to
     * {@link #perRow} patches by the greedy k-center coreset ({@link Sampler#coreset}'s), continued from the row's own
     * first {@link #kept} patches. A row's patches are in the order the greedy picked them, so its first ones are the
     * coarse cover of everything the row has shown, and stay; the last quarter is picked again from the rest of the
     * row's memory and the new patches together, each next one the farthest from those kept. So the memory keeps its
     * size (a model file's layout and size do not change), a new patch far from everything kept takes a place (the
     * most unusual first), a near-duplicate of one kept does not, and every patch left out lies within the coreset's
     * covering radius of one kept (the distance of the first one not picked). A confirmation can displace only the
     * finest quarter of what the memory knew: a normal patch that leaned on it moves by at most that radius.
     *
     * @param added per grid row, the patches to add, {@code [k][d]} row-major (k may differ between rows, and be 0:
     *              that row keeps its memory as it is)
     * @throws IllegalArgumentException when there is not one array per row, an array does not hold whole patches, or
     *                                  a value is not finite
     */
    public PatchMemory refine(float[][] added) {
        if (added.length != gridHeight) {
            throw new IllegalArgumentException(added.length + " rows of patches to add to a memory of " + gridHeight
                    + " rows");
        }
        int d = features;
        for (int y = 0; y < gridHeight; y++) {
            if (added[y].length % d != 0) {
                throw new IllegalArgumentException("row " + y + "'s patches to add are not whole patches of " + d
                        + " features");
            }
            for (float v : added[y]) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("row " + y + "'s patches to add hold a value that is not finite");
                }
            }
        }
        // a memory of one patch per row has no coarse cover to keep: the greedy starts from the first new patch
        int[] first = kept() > 0 ? IntStream.range(0, kept()).toArray() : new int[]{perRow};
        float[][] out = new float[gridHeight][];
        IntStream.range(0, gridHeight).parallel().forEach(y -> {
            int k = added[y].length / d;
            if (k == 0) {
                out[y] = rows[y];
                return;
            }
            float[] union = Arrays.copyOf(rows[y], (perRow + k) * d);
            System.arraycopy(added[y], 0, union, perRow * d, k * d);
            out[y] = kCenter(union, perRow + k, d, perRow, first);
        });
        return new PatchMemory(gridWidth, gridHeight, d, out);
    }

    /**
     * The patches of each row that {@link #refine} keeps as they are: all but the last quarter (96 of 128). Measured
     * on the synthetic walkway with a vehicle confirmed normal (ScorerRefinementTest's footage): with every place
     * open, the vehicle's next crossing scored 37.6 to 9.8 but a normal frame rose 0.65 above its score and crossed the
     * threshold (6.7); with half open, 10.6 and at most 0.26; with a quarter, 11.7 and at most 0.04.
     */
    public int kept() {
        return perRow - Math.max(1, perRow / 4);
    }

    /**
     * The greedy k-center coreset of {@code n} patches ({@code [n][d]}): the {@code seeds} first, in order, then each
     * next patch the one farthest from those kept.
     *
     * @return the {@code k} patches kept, {@code [k][d]}, in the order picked
     */
    static float[] kCenter(float[] c, int n, int d, int k, int... seeds) {
        float[] out = new float[k * d];
        float[] minDist = new float[n];
        Arrays.fill(minDist, Float.POSITIVE_INFINITY);
        int next = seeds[0];
        for (int j = 0; j < k; j++) {
            System.arraycopy(c, next * d, out, j * d, d);
            int far = 0;
            float farDist = -1;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int f = 0; f < d; f++) {
                    float diff = c[i * d + f] - c[next * d + f];
                    s += diff * diff;
                }
                minDist[i] = Math.min(minDist[i], (float) s);
                if (minDist[i] > farDist) {
                    farDist = minDist[i];
                    far = i;
                }
            }
            next = j + 1 < seeds.length ? seeds[j + 1] : far;
        }
        return out;
    }

    private static float[] squaredNorms(float[] v, int count, int d) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            double s = 0;
            for (int k = i * d; k < (i + 1) * d; k++) {
                s += v[k] * v[k];
            }
            out[i] = (float) s;
        }
        return out;
    }

    /**
     * Collects a random pool of each row's training patches (a reservoir per row, so every patch offered has the same
     * chance whatever the number of frames), then keeps a coreset of it.
     */
    public static final class Sampler {
        private final int gridWidth;
        private final int gridHeight;
        private final int features;
        private final int pool;
        private final float[][] reservoirs;
        private final long[] offered;
        private final SplittableRandom random;

        /** @param pool the patches kept per row before the coreset */
        public Sampler(int gridWidth, int gridHeight, int features, int pool, long seed) {
            if (pool < 1) {
                throw new IllegalArgumentException("the pool needs at least one patch per row");
            }
            this.gridWidth = gridWidth;
            this.gridHeight = gridHeight;
            this.features = features;
            this.pool = pool;
            this.reservoirs = new float[gridHeight][pool * features];
            this.offered = new long[gridHeight];
            this.random = new SplittableRandom(seed);
        }

        /** Offers every patch of image b of a batch. */
        public void add(EmbeddingBatch batch, int b) {
            int d = features;
            for (int y = 0; y < gridHeight; y++) {
                for (int x = 0; x < gridWidth; x++) {
                    long seen = offered[y]++;
                    long slot = seen < pool ? seen : random.nextLong(seen + 1);
                    if (slot < pool) {
                        System.arraycopy(batch.values(), ((y * gridWidth + x) * batch.batch() + b) * d,
                                reservoirs[y], (int) slot * d, d);
                    }
                }
            }
        }

        /** Patches offered so far, all rows. */
        public long offered() {
            return Arrays.stream(offered).sum();
        }

        /**
         * Each row's greedy k-center coreset of its pool (at most {@code perRow} patches): starting from a random
         * one, each next patch is the pooled patch farthest from those kept.
         */
        public PatchMemory coreset(int perRow) {
            if (perRow < 1) {
                throw new IllegalArgumentException("the coreset needs at least one patch per row");
            }
            int d = features;
            float[][] kept = new float[gridHeight][];
            long[] starts = new long[gridHeight];
            for (int y = 0; y < gridHeight; y++) {
                starts[y] = random.nextLong();
            }
            IntStream.range(0, gridHeight).parallel().forEach(y -> {
                int n = (int) Math.min(pool, offered[y]);
                if (n == 0) {
                    throw new IllegalStateException("no training patch was offered for row " + y);
                }
                kept[y] = kCenter(reservoirs[y], n, d, Math.min(perRow, n), (int) Math.floorMod(starts[y], (long) n));
            });
            return new PatchMemory(gridWidth, gridHeight, d, kept);
        }
    }
}
