package dev.vigil.padim;

import java.util.List;
import java.util.stream.IntStream;

/**
 * PaDiM's patch embedding (paper section 3.1): the backbone's layers 1..n, each deeper layer repeated by nearest
 * neighbour onto layer 1's grid, concatenated along channels, then only the selected channels kept.
 */
public final class Embeddings {
    private final List<LayerShape> layers;
    private final int[] channelIndices;
    /** for each kept channel: which layer and which channel of it */
    private final int[] sourceLayer;
    private final int[] sourceChannel;
    /** for each layer: the source row and column for every row and column of layer 1's grid */
    private final int[][] rowMap;
    private final int[][] colMap;
    /** for each kept channel: where its plane starts in one image's {@link EmbeddingPlanes} block */
    private final int[] planeOffset;
    /** floats of one image's planes */
    private final int planeFloats;

    /**
     * @param layers         shapes of layers 1..n for one image; layer 1 defines the grid
     * @param channelIndices kept channels, indices into the concatenation of all layers' channels
     */
    public Embeddings(List<LayerShape> layers, int[] channelIndices) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("at least one layer is needed");
        }
        this.layers = List.copyOf(layers);
        this.channelIndices = channelIndices.clone();
        int total = totalChannels(layers);
        sourceLayer = new int[channelIndices.length];
        sourceChannel = new int[channelIndices.length];
        for (int k = 0; k < channelIndices.length; k++) {
            int c = channelIndices[k];
            if (c < 0 || c >= total) {
                throw new IllegalArgumentException("channel index " + c + " outside 0.." + (total - 1));
            }
            int layer = 0;
            while (c >= layers.get(layer).channels()) {
                c -= layers.get(layer).channels();
                layer++;
            }
            sourceLayer[k] = layer;
            sourceChannel[k] = c;
        }
        LayerShape grid = layers.get(0);
        rowMap = new int[layers.size()][];
        colMap = new int[layers.size()][];
        for (int l = 0; l < layers.size(); l++) {
            rowMap[l] = nearest(grid.height(), layers.get(l).height());
            colMap[l] = nearest(grid.width(), layers.get(l).width());
        }
        planeOffset = new int[channelIndices.length];
        int offset = 0;
        for (int k = 0; k < channelIndices.length; k++) {
            planeOffset[k] = offset;
            LayerShape shape = layers.get(sourceLayer[k]);
            offset = Math.addExact(offset, shape.height() * shape.width());
        }
        planeFloats = offset;
    }

    public static int totalChannels(List<LayerShape> layers) {
        return layers.stream().mapToInt(LayerShape::channels).sum();
    }

    public int gridHeight() {
        return layers.get(0).height();
    }

    public int gridWidth() {
        return layers.get(0).width();
    }

    public int positions() {
        return gridHeight() * gridWidth();
    }

    public int features() {
        return channelIndices.length;
    }

    public int[] channelIndices() {
        return channelIndices.clone();
    }

    public List<LayerShape> layers() {
        return layers;
    }

    /** torch's nearest interpolation: destination i reads source floor(i * in / out). */
    private static int[] nearest(int out, int in) {
        int[] map = new int[out];
        for (int i = 0; i < out; i++) {
            map[i] = (int) Math.min(in - 1, (long) i * in / out);
        }
        return map;
    }

    /**
     * Fills {@code out} with the embeddings of images {@code [0, count)} of a backbone batch.
     *
     * @param outputs one array per layer, NCHW with N at least {@code count}: {@code [N][C_l][H_l][W_l]}
     * @param out     destination whose batch is at least {@code count}; images beyond {@code count} are left as they are
     */
    public void extract(List<float[]> outputs, int count, EmbeddingBatch out) {
        if (out.positions() != positions() || out.features() != features() || out.batch() < count) {
            throw new IllegalArgumentException("embedding batch shape does not match the embedding");
        }
        int d = features();
        int positions = positions();
        int batch = out.batch();
        float[] dst = out.values();
        IntStream.range(0, count).parallel().forEach(b -> {
            float[] planes = Scratch.array(2, d * positions);
            float[] rows = Scratch.array(3, d * positions);
            gatherPlanes(outputs, b, planes);
            transpose(planes, d, positions, rows, 0);
            // while the image is in cache, each position's d features go to their place in the batch
            for (int p = 0; p < positions; p++) {
                System.arraycopy(rows, p * d, dst, (p * batch + b) * d, d);
            }
        });
    }

    /** The layer kept channel k comes from. */
    int layerOf(int k) {
        return sourceLayer[k];
    }

    /** Where kept channel k's plane starts in one image's {@link EmbeddingPlanes} block. */
    int planeOffset(int k) {
        return planeOffset[k];
    }

    /** The cell of layer l's plane that position p of layer 1's grid repeats (nearest neighbour). */
    int cell(int l, int p) {
        int width = gridWidth();
        return rowMap[l][p / width] * layers.get(l).width() + colMap[l][p % width];
    }

    /**
     * Whether the kept channels come layer by layer (a sorted selection does) and each layer's cells lie within one
     * cell of every deeper layer (strides that divide each other, as 4, 8 and 16 do): then positions that share a
     * layer's cell share all of that layer's and the deeper layers' values, and {@link CellAccumulator} can keep
     * their co-moments once per cell.
     */
    public boolean cellStructured() {
        for (int k = 1; k < sourceLayer.length; k++) {
            if (sourceLayer[k] < sourceLayer[k - 1]) {
                return false;
            }
        }
        for (int a = 0; a < layers.size(); a++) {
            LayerShape shape = layers.get(a);
            for (int b = a + 1; b < layers.size(); b++) {
                int[] deeper = new int[shape.height() * shape.width()];
                java.util.Arrays.fill(deeper, -1);
                for (int p = 0; p < positions(); p++) {
                    int c = cell(a, p);
                    int v = cell(b, p);
                    if (deeper[c] == -1) {
                        deeper[c] = v;
                    } else if (deeper[c] != v) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Floats one image takes in an {@link EmbeddingPlanes} batch. */
    public int planeFloats() {
        return planeFloats;
    }

    /** A batch of planes with room for {@code batch} images, for {@link #extractPlanes}. */
    public EmbeddingPlanes allocatePlanes(int batch) {
        return new EmbeddingPlanes(this, batch);
    }

    /**
     * Fills {@code out} with the kept channels' planes of images {@code [0, count)} of a backbone batch, as they are:
     * one sequential copy per plane, no repetition onto layer 1's grid (see {@link EmbeddingPlanes}).
     *
     * @param outputs one array per layer, NCHW with N at least {@code count}
     */
    public void extractPlanes(List<float[]> outputs, int count, EmbeddingPlanes out) {
        if (out.layout() != this || out.batch() < count) {
            throw new IllegalArgumentException("plane batch of " + out.batch() + " images does not fit " + count
                    + " images of this embedding");
        }
        float[] dst = out.values();
        IntStream.range(0, count).parallel().forEach(b -> {
            for (int k = 0; k < sourceLayer.length; k++) {
                LayerShape shape = layers.get(sourceLayer[k]);
                int plane = shape.height() * shape.width();
                System.arraycopy(outputs.get(sourceLayer[k]), (b * shape.channels() + sourceChannel[k]) * plane, dst,
                        b * planeFloats + planeOffset[k], plane);
            }
        });
    }

    /**
     * {@link EmbeddingRows#gather} for planes: positions {@code [p0, p0 + tile)} of the first {@code images} images
     * into {@code out[t * block + (row + b) * d + k]}, each deeper layer's value repeated by nearest neighbour
     * exactly as {@link #extract} does, so a fit from planes is the fit from the embeddings, bit for bit.
     */
    void gatherRows(float[] planes, int images, int p0, int tile, float[] out, int block, int row) {
        int d = features();
        int width = gridWidth();
        // where each (position, channel) reads within an image's block; an image's planes (0.3 MB) stay in cache
        // across the tile's positions
        int[] source = new int[tile * d];
        for (int t = 0; t < tile; t++) {
            int i = (p0 + t) / width;
            int j = (p0 + t) % width;
            for (int k = 0; k < d; k++) {
                int l = sourceLayer[k];
                source[t * d + k] = planeOffset[k] + rowMap[l][i] * layers.get(l).width() + colMap[l][j];
            }
        }
        for (int b = 0; b < images; b++) {
            int base = b * planeFloats;
            for (int t = 0; t < tile; t++) {
                int o = t * block + (row + b) * d;
                int s = t * d;
                for (int k = 0; k < d; k++) {
                    out[o + k] = planes[base + source[s + k]];
                }
            }
        }
    }

    /** The kept channels of image b on layer 1's grid, {@code [d][positions]}: sequential copies of the backbone's planes. */
    private void gatherPlanes(List<float[]> outputs, int b, float[] planes) {
        int height = gridHeight();
        int width = gridWidth();
        int positions = height * width;
        for (int k = 0; k < sourceLayer.length; k++) {
            int l = sourceLayer[k];
            LayerShape shape = layers.get(l);
            float[] src = outputs.get(l);
            int plane = (b * shape.channels() + sourceChannel[k]) * shape.height() * shape.width();
            int[] rows = rowMap[l];
            int[] cols = colMap[l];
            int dstPlane = k * positions;
            boolean sameWidth = shape.width() == width;
            for (int i = 0; i < height; i++) {
                int dst = dstPlane + i * width;
                if (i > 0 && rows[i] == rows[i - 1]) {
                    // nearest upsampling repeats rows: copy the row just written
                    System.arraycopy(planes, dst - width, planes, dst, width);
                } else if (sameWidth) {
                    System.arraycopy(src, plane + rows[i] * shape.width(), planes, dst, width);
                } else {
                    int srcRow = plane + rows[i] * shape.width();
                    for (int j = 0; j < width; j++) {
                        planes[dst + j] = src[srcRow + cols[j]];
                    }
                }
            }
        }
    }

    /**
     * {@code src [rows][cols]} to {@code dst[offset + c * rows + r]}, eight rows at a time: the reads stay
     * sequential along eight rows and each column gets eight consecutive floats written. The image's planes are
     * still in cache from {@link #gatherPlanes}.
     */
    static void transpose(float[] src, int rows, int cols, float[] dst, int offset) {
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            int a = r * cols;
            for (int c = 0; c < cols; c++) {
                int o = offset + c * rows + r;
                dst[o] = src[a + c];
                dst[o + 1] = src[a + cols + c];
                dst[o + 2] = src[a + 2 * cols + c];
                dst[o + 3] = src[a + 3 * cols + c];
                dst[o + 4] = src[a + 4 * cols + c];
                dst[o + 5] = src[a + 5 * cols + c];
                dst[o + 6] = src[a + 6 * cols + c];
                dst[o + 7] = src[a + 7 * cols + c];
            }
        }
        for (; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst[offset + c * rows + r] = src[r * cols + c];
            }
        }
    }

    /**
     * The full embedding of one image before channel selection, {@code [C1 + ... + Cn][H1][W1]} flattened: the
     * reference definition, used by tests and by tools that inspect embeddings.
     *
     * @param layerValues one array per layer, {@code [C_l][H_l][W_l]} flattened
     */
    public static float[] concatenate(List<LayerShape> layers, List<float[]> layerValues) {
        LayerShape grid = layers.get(0);
        int plane = grid.height() * grid.width();
        float[] out = new float[totalChannels(layers) * plane];
        int channelBase = 0;
        for (int l = 0; l < layers.size(); l++) {
            LayerShape shape = layers.get(l);
            int[] rows = nearest(grid.height(), shape.height());
            int[] cols = nearest(grid.width(), shape.width());
            float[] src = layerValues.get(l);
            for (int c = 0; c < shape.channels(); c++) {
                for (int i = 0; i < grid.height(); i++) {
                    for (int j = 0; j < grid.width(); j++) {
                        out[(channelBase + c) * plane + i * grid.width() + j] =
                                src[(c * shape.height() + rows[i]) * shape.width() + cols[j]];
                    }
                }
            }
            channelBase += shape.channels();
        }
        return out;
    }
}
