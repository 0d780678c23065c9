package dev.vigil.padim;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.util.List;
import java.util.stream.IntStream;

/**
 * The streaming Gaussian fit of {@link GaussianAccumulator}, for embeddings kept as the backbone's planes, holding
 * each block of sums once for every position that shares it. Layer 2 and 3 values are repeated by nearest neighbour
 * onto layer 1's grid, so the four positions of a layer-2 cell have the same layer-2 and layer-3 values, and the
 * sixteen of a layer-3 cell the same layer-3 values: their co-moments over those channels are equal. So the rows of
 * layer l's kept channels against the columns of layers l and deeper are kept once per cell of layer l.
 *
 * <p>At 56 x 56 with mobilenetv2 and d = 100 (seed 1) that is 50 MB of sums instead of 129 MB, and a batch's
 * products take 2.5 x fewer multiply-adds; with Wide-ResNet-50-2's widths and d = 550, 1.69 GB instead of 3.82 GB
 * and 2.3 x fewer. The covariance of a position is the same matrix, assembled from its cells' blocks
 * ({@link #covariance}).
 *
 * <p>Each block is {@code n_l x m_l} (layer l's n_l kept channels against the m_l channels from layer l on), dense,
 * row-major, float64, with the same batch update as {@link GaussianAccumulator}: the batch's own product, centred on
 * its mean, in float32 (one sgemm per cell), merged with Chan et al.'s pairwise update. Within a layer's own square
 * only the upper half (column >= row) is read.
 */
public final class CellAccumulator implements GaussianSums {
    /** cells per parallel task */
    private static final int CELLS_PER_TASK = 16;

    private final Embeddings layout;
    private final int positions;
    private final int features;
    /** layers that have kept channels, in order */
    private final int[] layers;
    /** per entry of {@link #layers}: its first kept channel, its count of them, its cells */
    private final int[] first;
    private final int[] rows;
    private final int[] cells;
    /** per entry of {@link #layers} and cell: a position of layer 1's grid that repeats the cell */
    private final int[][] representative;
    /** per entry of {@link #layers} and cell: where each column's value is in one image's planes */
    private final int[][][] source;
    /** per kept channel: the entry of {@link #layers} it belongs to */
    private final int[] columnEntry;
    /** per entry of {@link #layers}: means {@code [cell][n_l]} and sums {@code [cell][n_l * m_l]} */
    private final double[][] mean;
    private double[][][] sums;
    private long count;

    public CellAccumulator(Embeddings layout) {
        if (!layout.cellStructured()) {
            throw new IllegalArgumentException("the embedding's channels are not kept layer by layer in nested cells: "
                    + "fit it per position (GaussianAccumulator)");
        }
        this.layout = layout;
        this.positions = layout.positions();
        this.features = layout.features();
        int used = 0;
        int[] byLayer = new int[layout.layers().size()];
        for (int k = 0; k < features; k++) {
            if (byLayer[layout.layerOf(k)]++ == 0) {
                used++;
            }
        }
        layers = new int[used];
        first = new int[used];
        rows = new int[used];
        cells = new int[used];
        representative = new int[used][];
        source = new int[used][][];
        mean = new double[used][];
        sums = new double[used][][];
        columnEntry = new int[features];
        int e = 0;
        int k0 = 0;
        for (int l = 0; l < byLayer.length; l++) {
            if (byLayer[l] == 0) {
                continue;
            }
            LayerShape shape = layout.layers().get(l);
            layers[e] = l;
            first[e] = k0;
            rows[e] = byLayer[l];
            cells[e] = shape.height() * shape.width();
            representative[e] = new int[cells[e]];
            java.util.Arrays.fill(representative[e], -1);
            for (int p = 0; p < positions; p++) {
                int c = layout.cell(l, p);
                if (representative[e][c] < 0) {
                    representative[e][c] = p;
                }
            }
            int columns = features - k0;
            source[e] = new int[cells[e]][columns];
            mean[e] = new double[cells[e] * rows[e]];
            sums[e] = new double[cells[e]][];
            for (int c = 0; c < cells[e]; c++) {
                int p = representative[e][c];
                // a cell that no position repeats (an input size the strides do not divide) has no sums
                if (p < 0) {
                    continue;
                }
                for (int j = 0; j < columns; j++) {
                    int k = k0 + j;
                    source[e][c][j] = layout.planeOffset(k) + layout.cell(layout.layerOf(k), p);
                }
                sums[e][c] = new double[rows[e] * columns];
            }
            for (int k = k0; k < k0 + byLayer[l]; k++) {
                columnEntry[k] = e;
            }
            k0 += byLayer[l];
            e++;
        }
    }

    @Override
    public int positions() {
        return positions;
    }

    @Override
    public int features() {
        return features;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long bytes() {
        return bytes(layout);
    }

    /** What per-cell sums of this layout take, without allocating them. */
    static long bytes(Embeddings layout) {
        int d = layout.features();
        long total = 0;
        int first = 0;
        for (int l = 0; l < layout.layers().size(); l++) {
            int rows = 0;
            for (int k = 0; k < d; k++) {
                rows += layout.layerOf(k) == l ? 1 : 0;
            }
            if (rows == 0) {
                continue;
            }
            LayerShape shape = layout.layers().get(l);
            boolean[] used = new boolean[shape.height() * shape.width()];
            int cells = 0;
            for (int p = 0; p < layout.positions(); p++) {
                int c = layout.cell(l, p);
                if (!used[c]) {
                    used[c] = true;
                    cells++;
                }
            }
            total += 8L * cells * rows * (d - first + 1);
            first += rows;
        }
        return total;
    }

    @Override
    public void add(List<? extends EmbeddingRows> batches, int[] images) {
        int total = GaussianSums.imagesAsked(batches, images, batch ->
                batch instanceof EmbeddingPlanes planes && planes.layout() == layout ? null
                        : "a per-cell fit takes the planes of its own embedding, got "
                        + batch.getClass().getSimpleName());
        if (total <= 0) {
            return;
        }
        Blas.init();
        int n = total;
        // each cell's batch means of its own rows, set while its block is added; the running means change only
        // once every block has been merged against them
        double[][] batchMean = new double[layers.length][];
        for (int e = 0; e < layers.length; e++) {
            batchMean[e] = new double[cells[e] * rows[e]];
        }
        int tasks = 0;
        for (int e = 0; e < layers.length; e++) {
            tasks += (cells[e] + CELLS_PER_TASK - 1) / CELLS_PER_TASK;
        }
        int[] entry = new int[tasks];
        int[] start = new int[tasks];
        int t = 0;
        for (int e = 0; e < layers.length; e++) {
            for (int c = 0; c < cells[e]; c += CELLS_PER_TASK) {
                entry[t] = e;
                start[t++] = c;
            }
        }
        IntStream.range(0, tasks).parallel().forEach(i -> addCells(batches, images, n, entry[i], start[i],
                Math.min(cells[entry[i]], start[i] + CELLS_PER_TASK), batchMean));
        double nb = n;
        double all = count + nb;
        for (int e = 0; e < layers.length; e++) {
            for (int i = 0; i < mean[e].length; i++) {
                mean[e][i] += (batchMean[e][i] - mean[e][i]) * nb / all;
            }
        }
        count += total;
    }

    /**
     * Adds the batch to cells {@code [from, to)} of one layer. The tile's rows are gathered image by image, column by
     * column, cell by cell: consecutive cells read consecutive values of each plane, so every cache line of an
     * image's planes is read once per tile.
     */
    private void addCells(List<? extends EmbeddingRows> batches, int[] images, int total, int e, int from, int to,
                          double[][] batchMean) {
        int n = rows[e];
        int m = features - first[e];
        int tile = to - from;
        // a pad between cells' blocks, as in GaussianAccumulator: a power-of-two-ish stride would put the tile's
        // write streams on the same few L1 sets
        int block = total * m + 32;
        int stride = layout.planeFloats();
        int[] sourceT = new int[m * tile];
        for (int t = 0; t < tile; t++) {
            // a cell no position repeats reads cell 0's values, and is skipped below
            int[] src = representative[e][from + t] >= 0 ? source[e][from + t] : source[e][firstUsed(e)];
            for (int j = 0; j < m; j++) {
                sourceT[j * tile + t] = src[j];
            }
        }
        float[] x = Scratch.array(0, tile * block);
        int row = 0;
        for (int i = 0; i < batches.size(); i++) {
            float[] values = planes(batches, i);
            for (int b = 0; b < images[i]; b++, row++) {
                int base = b * stride;
                int o = row * m;
                for (int j = 0; j < m; j++) {
                    int s = j * tile;
                    for (int t = 0; t < tile; t++) {
                        x[t * block + o + j] = values[base + sourceT[s + t]];
                    }
                }
            }
        }
        float[] centre = Scratch.array(1, m);
        double[] columnMean = new double[m];
        double[] delta = new double[m];
        FloatPointer xs = Scratch.floats(0, (long) tile * block);
        FloatPointer product = Scratch.floats(1, (long) n * m);
        float[] result = new float[n * m];
        double na = count;
        double w = na * total / (na + total);
        for (int t = 0; t < tile; t++) {
            int c = from + t;
            if (representative[e][c] < 0) {
                continue;
            }
            int p = representative[e][c];
            // the batch means from the gathered copy while it is in cache: a deeper column's mean is the same sum,
            // in the same order, as its own cell's block takes, so every block centres it alike
            java.util.Arrays.fill(columnMean, 0);
            int at = t * block;
            for (int r = 0; r < total; r++) {
                int o = at + r * m;
                for (int j = 0; j < m; j++) {
                    columnMean[j] += x[o + j];
                }
            }
            for (int j = 0; j < m; j++) {
                columnMean[j] /= total;
                centre[j] = (float) columnMean[j];
                int k = first[e] + j;
                int f = columnEntry[k];
                delta[j] = columnMean[j] - mean[f][layout.cell(layers[f], p) * rows[f] + k - first[f]];
            }
            for (int r = 0; r < n; r++) {
                batchMean[e][c * n + r] = columnMean[r];
            }
            for (int r = 0; r < total; r++) {
                int o = at + r * m;
                for (int j = 0; j < m; j++) {
                    x[o + j] -= centre[j];
                }
            }
            xs.position(at).put(x, at, total * m);
            // the cell's rows of Xc^T Xc: its own layer's channels against its own and the deeper layers'
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasTrans, openblas.CblasNoTrans, n, m, total, 1f,
                    xs.position(at), m, xs.position(at), m, 0f, product.position(0), m);
            product.position(0).get(result, 0, n * m);
            double[] sum = sums[e][c];
            for (int r = 0; r < n; r++) {
                double dr = delta[r] * w;
                int o = r * m;
                for (int j = 0; j < m; j++) {
                    sum[o + j] += result[o + j] + dr * delta[j];
                }
            }
        }
    }

    private int firstUsed(int e) {
        for (int c = 0; c < cells[e]; c++) {
            if (representative[e][c] >= 0) {
                return c;
            }
        }
        throw new IllegalStateException("layer " + layers[e] + " has no cell a position repeats");
    }

    private static float[] planes(List<? extends EmbeddingRows> batches, int i) {
        return ((EmbeddingPlanes) batches.get(i)).values();
    }

    /**
     * Hands {@code out} position p's sums for every pair of channels {@code i >= j}: each comes from the block of
     * channel j's layer at p's cell of that layer (within a layer's own square, from its upper half).
     */
    private void forEachSum(int p, SumSink out) {
        for (int e = 0; e < layers.length; e++) {
            int m = features - first[e];
            double[] block = sums[e][layout.cell(layers[e], p)];
            for (int r = 0; r < rows[e]; r++) {
                int j = first[e] + r;
                int o = r * m;
                for (int col = r; col < m; col++) {
                    out.accept(first[e] + col, j, block[o + col]);
                }
            }
        }
    }

    private interface SumSink {
        void accept(int i, int j, double sum);
    }

    @Override
    public double[] mean(int p) {
        double[] out = new double[features];
        for (int e = 0; e < layers.length; e++) {
            int at = layout.cell(layers[e], p) * rows[e];
            for (int r = 0; r < rows[e]; r++) {
                out[first[e] + r] = mean[e][at + r];
            }
        }
        return out;
    }

    @Override
    public double[] covariance(int p, double eps) {
        if (count < 2) {
            throw new IllegalStateException("a covariance needs at least 2 frames, got " + count);
        }
        int d = features;
        double[] cov = new double[d * d];
        double scale = 1.0 / (count - 1);
        forEachSum(p, (i, j, sum) -> {
            double v = sum * scale;
            cov[i * d + j] = v;
            cov[j * d + i] = v;
        });
        for (int k = 0; k < d; k++) {
            cov[k * d + k] += eps;
        }
        return cov;
    }

    @Override
    public GaussianModel finish(double eps, boolean release) {
        if (count < 2) {
            throw new IllegalStateException("fitting needs at least 2 frames, got " + count);
        }
        int d = features;
        GaussianModel model = GaussianModel.allocate(positions, d);
        float[] meanOut = model.mean();
        IntStream.range(0, positions).parallel().forEach(p -> {
            double[] mu = mean(p);
            for (int k = 0; k < d; k++) {
                meanOut[p * d + k] = (float) mu[k];
            }
            model.setFactor(p, PrecisionFactor.fromCovariance(covariance(p, eps), d, p));
        });
        if (release) {
            // blocks are shared between positions, so they go once every position has its factor
            sums = null;
        }
        return model;
    }

    @Override
    public GaussianAccumulator toAccumulator() {
        GaussianAccumulator out = new GaussianAccumulator(positions, features);
        double[] means = out.means();
        IntStream.range(0, positions).parallel().forEach(p -> {
            System.arraycopy(mean(p), 0, means, p * features, features);
            double[] packed = out.comoment(p);
            forEachSum(p, (i, j, sum) -> packed[PackedTriangle.rowStart(i) + j] = sum);
        });
        out.restoreCount(count);
        return out;
    }
}
