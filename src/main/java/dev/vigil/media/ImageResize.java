package dev.vigil.media;

import java.util.Arrays;

/**
 * Deterministic, pure-Java resizing and cropping of {@link RgbImage}s and boolean masks.
 *
 * <p>{@link #bilinear} reproduces Pillow's {@code Image.resize(size, BILINEAR)}, which is what torchvision's
 * {@code Resize} runs on PIL images: a separable triangle filter with half-pixel centres (align_corners=False)
 * whose support widens by the scale factor when down-scaling (antialiasing), 22-bit fixed-point weights, and a
 * horizontal pass rounded to 8 bits before the vertical pass. Masks are {@code boolean[height * width]}, row-major.
 */
public final class ImageResize {
    /** Pillow's fixed-point precision for 8-bit resampling: 32 - 8 - 2 bits. */
    private static final int PRECISION_BITS = 22;

    private ImageResize() {
    }

    /**
     * Resizes {@code src} ({@code [srcH][srcW][3]}) to {@code [height][width][3]} with an antialiased bilinear filter.
     * Returns a copy when the size is unchanged.
     */
    public static RgbImage bilinear(RgbImage src, int width, int height) {
        requirePositive(width, height);
        if (width == src.width() && height == src.height()) {
            return new RgbImage(width, height, src.pixels().clone());
        }
        byte[] pixels = src.pixels();
        int srcW = src.width();
        int srcH = src.height();
        // Horizontal pass first, rounded to 8 bits, as Pillow does; a pass whose size is unchanged is skipped
        // because its weights are the identity.
        if (width != srcW) {
            pixels = horizontal(pixels, srcW, srcH, width, coefficients(srcW, width));
        }
        if (height != srcH) {
            pixels = vertical(pixels, width, srcH, height, coefficients(srcH, height));
        }
        return new RgbImage(width, height, pixels);
    }

    /**
     * Crops the centre {@code [height][width]} of {@code src}. Offsets are {@code round((H - h) / 2.0)} with Python's
     * round-half-to-even, as torchvision's {@code center_crop} computes them.
     */
    public static RgbImage centerCrop(RgbImage src, int width, int height) {
        requireCrop(src.width(), src.height(), width, height);
        int left = cropOffset(src.width(), width);
        int top = cropOffset(src.height(), height);
        byte[] out = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            System.arraycopy(src.pixels(), ((top + y) * src.width() + left) * 3, out, y * width * 3, width * 3);
        }
        return new RgbImage(width, height, out);
    }

    /**
     * Resizes a mask {@code [srcH][srcW]} to {@code [height][width]} by nearest neighbour with half-pixel centres
     * (Pillow's NEAREST, torch's "nearest-exact"): output (x, y) takes source {@code floor((x + 0.5) * srcW / width)}.
     */
    public static boolean[] nearest(boolean[] mask, int srcW, int srcH, int width, int height) {
        requirePositive(width, height);
        requireMask(mask, srcW, srcH);
        if (width == srcW && height == srcH) {
            return mask.clone();
        }
        int[] xs = nearestIndices(srcW, width);
        int[] ys = nearestIndices(srcH, height);
        boolean[] out = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            int row = ys[y] * srcW;
            for (int x = 0; x < width; x++) {
                out[y * width + x] = mask[row + xs[x]];
            }
        }
        return out;
    }

    /** Crops the centre {@code [height][width]} of a mask {@code [srcH][srcW]}, offsets as in {@link #centerCrop}. */
    public static boolean[] centerCrop(boolean[] mask, int srcW, int srcH, int width, int height) {
        requireMask(mask, srcW, srcH);
        requireCrop(srcW, srcH, width, height);
        int left = cropOffset(srcW, width);
        int top = cropOffset(srcH, height);
        boolean[] out = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            System.arraycopy(mask, (top + y) * srcW + left, out, y * width, width);
        }
        return out;
    }

    /** The crop offset {@code round((size - crop) / 2.0)}, rounding halves to even like Python's {@code round}. */
    public static int cropOffset(int size, int crop) {
        return (int) Math.rint((size - crop) / 2.0);
    }

    /** Source index for each output index: {@code floor((2i + 1) * in / (2 * out))}, exact in integers. */
    static int[] nearestIndices(int inSize, int outSize) {
        int[] idx = new int[outSize];
        for (int i = 0; i < outSize; i++) {
            idx[i] = (int) Math.min(inSize - 1, ((2L * i + 1) * inSize) / (2L * outSize));
        }
        return idx;
    }

    /**
     * Fixed-point filter weights, Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc}: for each output
     * index, the first source index and its taps.
     */
    static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale; // the triangle filter's support is 1 at unit scale
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * kernelSize];
        double[] k = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            // (int) truncates toward zero, as the C cast does
            int xmin = Math.max(0, (int) (center - support + 0.5));
            int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++) {
                k[x] = triangle((x + xmin - center + 0.5) / filterScale);
                sum += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double w = sum != 0 ? k[x] / sum : k[x];
                double fixed = w * (1 << PRECISION_BITS);
                weights[xx * kernelSize + x] = (int) (w < 0 ? fixed - 0.5 : fixed + 0.5);
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(kernelSize, first, count, weights);
    }

    /** Weights as computed by {@link #coefficients}: {@code weights[out * kernelSize + tap]}. */
    record Coefficients(int kernelSize, int[] first, int[] count, int[] weights) {
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte[] horizontal(byte[] in, int inW, int h, int outW, Coefficients c) {
        byte[] out = new byte[outW * h * 3];
        for (int y = 0; y < h; y++) {
            int inRow = y * inW * 3;
            int outRow = y * outW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int wBase = xx * c.kernelSize;
                int src = inRow + c.first[xx] * 3;
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int t = 0; t < c.count[xx]; t++, src += 3) {
                    int w = c.weights[wBase + t];
                    r += (in[src] & 0xff) * w;
                    g += (in[src + 1] & 0xff) * w;
                    b += (in[src + 2] & 0xff) * w;
                }
                int o = outRow + xx * 3;
                out[o] = clip8(r);
                out[o + 1] = clip8(g);
                out[o + 2] = clip8(b);
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int w, int inH, int outH, Coefficients c) {
        int rowBytes = w * 3;
        byte[] out = new byte[rowBytes * outH];
        int[] acc = new int[rowBytes];
        for (int yy = 0; yy < outH; yy++) {
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            int wBase = yy * c.kernelSize;
            // row-at-a-time accumulation keeps the inner loop sequential in memory
            for (int t = 0; t < c.count[yy]; t++) {
                int weight = c.weights[wBase + t];
                int src = (c.first[yy] + t) * rowBytes;
                for (int i = 0; i < rowBytes; i++) {
                    acc[i] += (in[src + i] & 0xff) * weight;
                }
            }
            int o = yy * rowBytes;
            for (int i = 0; i < rowBytes; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static void requirePositive(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
    }

    private static void requireCrop(int srcW, int srcH, int width, int height) {
        requirePositive(width, height);
        if (width > srcW || height > srcH) {
            throw new IllegalArgumentException(
                    "crop " + width + "x" + height + " is larger than the image " + srcW + "x" + srcH);
        }
    }

    private static void requireMask(boolean[] mask, int srcW, int srcH) {
        if (srcW <= 0 || srcH <= 0 || mask.length != srcW * srcH) {
            throw new IllegalArgumentException(
                    "mask of " + mask.length + " values does not match " + srcW + "x" + srcH);
        }
    }
}
