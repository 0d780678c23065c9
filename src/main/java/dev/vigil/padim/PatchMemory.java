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
 * ({@link #combine}).
 *
 * <p>Each row's memory is a greedy k-center coreset ({@link Sampler#coreset}) of a random pool of its training patches:
 * the coreset covers the pool's rare patches, where a random subsample of the same size would keep mostly the common
 * ones (empty pavement).
 */
public final class PatchMemory {
    private final int gridWidth;
    private final int gridHeight;
    private final int features;
    /** per row y: {@code [m_y][d]}, row-major */
    private final float[][] rows;
    /** per row y: the squared norms of its memory's patches */
    private final float[][] norms;

    PatchMemory(int gridWidth, int gridHeight, int features, float[][] rows) {
        if (rows.length != gridHeight) {
            throw new IllegalArgumentException(rows.length + " row memories for a grid of " + gridHeight + " rows");
        }
        this.gridWidth = gridWidth;
        this.gridHeight = gridHeight;
        this.features = features;
        this.rows = rows;
        this.norms = new float[gridHeight][];
        for (int y = 0; y < gridHeight; y++) {
            if (rows[y].length == 0 || rows[y].length % features != 0) {
                throw new IllegalArgumentException("row " + y + "'s memory is empty or not whole patches");
            }
            norms[y] = squaredNorms(rows[y], rows[y].length / features, features);
        }
    }

    /** The patches kept for row y. */
    public int size(int row) {
        return rows[row].length / features;
    }

    /** The patches kept, all rows. */
    public int size() {
        int n = 0;
        for (int y = 0; y < gridHeight; y++) {
            n += size(y);
        }
        return n;
    }

    /**
     * The memory distances of images {@code [first, first + n)} of a batch, for each row band half-width.
     *
     * @param radii R per output, each at least 0
     * @return {@code [radii][n * positions]}: per image, its grid's distances, rows one after another
     */
    public float[][] distances(EmbeddingBatch batch, int first, int n, int[] radii) {
        if (batch.positions() != gridWidth * gridHeight || batch.features() != features) {
            throw new IllegalArgumentException("batch of " + batch.positions() + " positions x " + batch.features()
                    + " features for a memory of " + gridWidth + " x " + gridHeight + " x " + features);
        }
        int widest = Arrays.stream(radii).max().orElse(0);
        if (Arrays.stream(radii).anyMatch(r -> r < 0)) {
            throw new IllegalArgumentException("row band half-widths must be at least 0");
        }
        Blas.init();
        int positions = gridWidth * gridHeight;
        float[][] out = new float[radii.length][n * positions];
        int d = features;
        int patches = n * gridWidth;
        IntStream.range(0, gridHeight).parallel().forEach(y -> {
            // this row's patches of the images, [x][image][d]
            float[] a = new float[patches * d];
            for (int x = 0; x < gridWidth; x++) {
                int p = y * gridWidth + x;
                System.arraycopy(batch.values(), (p * batch.batch() + first) * d, a, x * n * d, n * d);
            }
            float[] aNorms = squaredNorms(a, patches, d);
            float[][] best = new float[radii.length][patches];
            for (float[] b : best) {
                Arrays.fill(b, Float.POSITIVE_INFINITY);
            }
            float[] nearest = new float[patches];
            for (int o = -widest; o <= widest; o++) {
                int y2 = y + o;
                if (y2 < 0 || y2 >= gridHeight) {
                    continue;
                }
                nearest(a, aNorms, patches, y2, nearest);
                for (int r = 0; r < radii.length; r++) {
                    if (Math.abs(o) <= radii[r]) {
                        float[] b = best[r];
                        for (int i = 0; i < patches; i++) {
                            b[i] = Math.min(b[i], nearest[i]);
                        }
                    }
                }
            }
            for (int r = 0; r < radii.length; r++) {
                for (int x = 0; x < gridWidth; x++) {
                    for (int i = 0; i < n; i++) {
                        out[r][i * positions + y * gridWidth + x] = (float) Math.sqrt(Math.max(0,
                                best[r][x * n + i]));
                    }
                }
            }
        });
        return out;
    }

    /** Squared distance of each of the patches {@code a} to its nearest neighbour in row y's memory. */
    private void nearest(float[] a, float[] aNorms, int patches, int y, float[] out) {
        int m = size(y);
        float[] dots = new float[patches * m];
        // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, the products in one sgemm
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, patches, m,
                features, 1f, a, features, rows[y], features, 0f, dots, m);
        float[] bNorms = norms[y];
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
     * Normal if normal for its position or close to the memory: per patch, the smaller of the two distances, each
     * over its own normal scale (the held-back frames' mean), back in the appearance distances' units so that a motion
     * blend's appearance scale still applies.
     */
    public static float[] combine(float[] appearance, float[] memory, double appearanceScale, double memoryScale) {
        if (appearance.length != memory.length) {
            throw new IllegalArgumentException("appearance and memory distances of different sizes");
        }
        if (!(appearanceScale > 0) || !(memoryScale > 0)) {
            throw new IllegalArgumentException("scales must be positive, got " + appearanceScale + " and "
                    + memoryScale);
        }
        float[] out = new float[appearance.length];
        double ratio = appearanceScale / memoryScale;
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.min(appearance[i], memory[i] * ratio);
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
                float[] c = reservoirs[y];
                int k = Math.min(perRow, n);
                float[] out = new float[k * d];
                float[] minDist = new float[n];
                Arrays.fill(minDist, Float.POSITIVE_INFINITY);
                int next = (int) Math.floorMod(starts[y], (long) n);
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
                    next = far;
                }
                kept[y] = out;
            });
            return new PatchMemory(gridWidth, gridHeight, d, kept);
        }
    }
}
