package dev.vigil.padim;

/**
 * From patch distances to a pixel anomaly map (paper section 3.3): bilinear upsampling of the grid to the input
 * size, then a Gaussian blur with sigma 4. The image score is the map's maximum.
 */
public final class AnomalyMaps {
    public static final double DEFAULT_SIGMA = 4.0;

    /** How the blur sees beyond the border. */
    public enum Padding {
        /** {@code d c b a | a b c d | d c b a}: scipy's 'reflect', as in the original PaDiM code (the default) */
        REFLECT,
        /** {@code d c b | a b c d | c b a}: torch's 'reflect', as in anomalib */
        MIRROR
    }

    private AnomalyMaps() {
    }

    /**
     * Bilinear upsampling with half-pixel centres (torch {@code align_corners=False}): output pixel x reads source
     * coordinate {@code (x + 0.5) * in / out - 0.5}, clamped at 0.
     *
     * @param grid {@code [gridHeight][gridWidth]}
     * @return {@code [height][width]}
     */
    public static float[] upsampleBilinear(float[] grid, int gridHeight, int gridWidth, int height, int width) {
        int[] y0 = new int[height];
        int[] y1 = new int[height];
        float[] fy = new float[height];
        axis(gridHeight, height, y0, y1, fy);
        int[] x0 = new int[width];
        int[] x1 = new int[width];
        float[] fx = new float[width];
        axis(gridWidth, width, x0, x1, fx);
        float[] out = new float[height * width];
        for (int y = 0; y < height; y++) {
            int r0 = y0[y] * gridWidth;
            int r1 = y1[y] * gridWidth;
            float wy = fy[y];
            for (int x = 0; x < width; x++) {
                float top = grid[r0 + x0[x]] + (grid[r0 + x1[x]] - grid[r0 + x0[x]]) * fx[x];
                float bottom = grid[r1 + x0[x]] + (grid[r1 + x1[x]] - grid[r1 + x0[x]]) * fx[x];
                out[y * width + x] = top + (bottom - top) * wy;
            }
        }
        return out;
    }

    private static void axis(int in, int out, int[] lo, int[] hi, float[] frac) {
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double src = Math.max(0.0, (i + 0.5) * scale - 0.5);
            int i0 = Math.min((int) src, in - 1);
            lo[i] = i0;
            hi[i] = Math.min(i0 + 1, in - 1);
            frac[i] = (float) (src - i0);
        }
    }

    /** Normalised Gaussian kernel of radius {@code round(4 sigma)} (scipy's truncate = 4). */
    public static float[] gaussianKernel(double sigma) {
        int radius = (int) (4.0 * sigma + 0.5);
        float[] kernel = new float[2 * radius + 1];
        double sum = 0;
        double[] w = new double[kernel.length];
        for (int i = -radius; i <= radius; i++) {
            w[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += w[i + radius];
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) (w[i] / sum);
        }
        return kernel;
    }

    /** Separable Gaussian blur of an image {@code [height][width]}; returns a new array. */
    public static float[] gaussianBlur(float[] image, int height, int width, double sigma, Padding padding) {
        return blurColumns(blurRows(image, height, width, sigma, padding), height, width, sigma, padding);
    }

    /** The blur along each row only. */
    static float[] blurRows(float[] image, int height, int width, double sigma, Padding padding) {
        float[] kernel = gaussianKernel(sigma);
        float[] out = new float[image.length];
        int[] colIndex = borderIndex(width, kernel.length / 2, padding);
        // index tables resolve the border so the inner loops have no branches
        for (int y = 0; y < height; y++) {
            int row = y * width;
            for (int x = 0; x < width; x++) {
                float acc = 0;
                for (int t = 0; t < kernel.length; t++) {
                    acc += kernel[t] * image[row + colIndex[x + t]];
                }
                out[row + x] = acc;
            }
        }
        return out;
    }

    /** The blur along each column only. */
    static float[] blurColumns(float[] image, int height, int width, double sigma, Padding padding) {
        float[] kernel = gaussianKernel(sigma);
        float[] out = new float[image.length];
        int[] rowIndex = borderIndex(height, kernel.length / 2, padding);
        for (int y = 0; y < height; y++) {
            int dst = y * width;
            for (int t = 0; t < kernel.length; t++) {
                float k = kernel[t];
                int src = rowIndex[y + t] * width;
                for (int x = 0; x < width; x++) {
                    out[dst + x] += k * image[src + x];
                }
            }
        }
        return out;
    }

    /** For padded coordinate q in [0, n + 2 radius): the source index of q - radius. */
    private static int[] borderIndex(int n, int radius, Padding padding) {
        int[] index = new int[n + 2 * radius];
        for (int q = 0; q < index.length; q++) {
            index[q] = reflect(q - radius, n, padding);
        }
        return index;
    }

    static int reflect(int i, int n, Padding padding) {
        if (n == 1) {
            return 0;
        }
        // reflection is periodic: 2n for scipy's reflect, 2n - 2 for the mirror
        int period = padding == Padding.REFLECT ? 2 * n : 2 * n - 2;
        int m = Math.floorMod(i, period);
        if (m < n) {
            return m;
        }
        return padding == Padding.REFLECT ? period - 1 - m : period - m;
    }

    /** Upsample then blur: the anomaly map of one image, {@code [height][width]}. */
    public static float[] anomalyMap(float[] grid, int gridHeight, int gridWidth, int height, int width,
                                     double sigma, Padding padding) {
        return gaussianBlur(upsampleBilinear(grid, gridHeight, gridWidth, height, width), height, width, sigma, padding);
    }

    public static float max(float[] map) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            m = Math.max(m, v);
        }
        return m;
    }
}
