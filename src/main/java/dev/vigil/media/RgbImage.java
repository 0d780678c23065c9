package dev.vigil.media;

/**
 * An 8-bit RGB image, pixels interleaved row by row: {@code pixels[(y * width + x) * 3 + c]}, c = R, G, B.
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length != width * height * 3) {
            throw new IllegalArgumentException("expected " + width * height * 3 + " bytes for " + width + "x" + height
                    + " RGB, got " + pixels.length);
        }
    }

    /** Channel c (0 = R) of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xff;
    }
}
