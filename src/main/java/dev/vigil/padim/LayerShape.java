package dev.vigil.padim;

/** Shape of one backbone feature map for one image: {@code [channels][height][width]}. */
public record LayerShape(int channels, int height, int width) {
    public LayerShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("layer shape must be positive, got " + channels + "x" + height + "x" + width);
        }
    }

    public int size() {
        return channels * height * width;
    }
}
