package dev.vigil.backbone;

import dev.vigil.media.ImageResize;
import dev.vigil.media.RgbImage;

/**
 * How a frame becomes the backbone's input.
 *
 * @param mode   {@link Mode#RESIZE}: the whole frame to width x height, nothing cropped (surveillance keeps the edges
 *               of the scene); {@link Mode#RESIZE_CROP}: the paper's, shorter side resized to 256/224 of the crop,
 *               then the centre width x height cropped
 * @param width  input width in pixels, a multiple of the backbone's largest stride
 * @param height input height in pixels
 */
public record Preprocessing(Mode mode, int width, int height) {
    public enum Mode {
        RESIZE("resize"), RESIZE_CROP("resize-crop");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Mode parse(String label) {
            for (Mode m : values()) {
                if (m.label.equals(label)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown preprocessing mode '" + label + "' (resize or resize-crop)");
        }
    }

    public Preprocessing {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("input size must be positive, got " + width + "x" + height);
        }
    }

    /** Size of the resized frame before the centre crop: 256 for a 224 crop, as in the paper. */
    public int resizeShorterSide() {
        return (int) Math.round(Math.min(width, height) * 256.0 / 224.0);
    }

    /** The frame as the backbone sees it, before normalisation: resized (and cropped) to the input size. */
    public RgbImage apply(RgbImage frame) {
        if (mode == Mode.RESIZE) {
            return frame.width() == width && frame.height() == height ? frame
                    : ImageResize.bilinear(frame, width, height);
        }
        int[] size = resizedSize(frame.width(), frame.height());
        RgbImage resized = frame.width() == size[0] && frame.height() == size[1] ? frame
                : ImageResize.bilinear(frame, size[0], size[1]);
        return ImageResize.centerCrop(resized, width, height);
    }

    /** A ground-truth mask given the same geometry as its frame (nearest neighbour). */
    public boolean[] applyToMask(boolean[] mask, int maskWidth, int maskHeight) {
        if (mode == Mode.RESIZE) {
            return maskWidth == width && maskHeight == height ? mask
                    : ImageResize.nearest(mask, maskWidth, maskHeight, width, height);
        }
        int[] size = resizedSize(maskWidth, maskHeight);
        boolean[] resized = maskWidth == size[0] && maskHeight == size[1] ? mask
                : ImageResize.nearest(mask, maskWidth, maskHeight, size[0], size[1]);
        return ImageResize.centerCrop(resized, size[0], size[1], width, height);
    }

    /**
     * Maps a box in input (anomaly-map) pixels back to the frame it came from, clipped to the frame: the inverse of
     * the resize, and of the centre crop for resize-crop.
     *
     * @return {x, y, width, height} in frame pixels
     */
    public int[] toFrame(int x, int y, int boxWidth, int boxHeight, int frameWidth, int frameHeight) {
        double sx;
        double sy;
        double left = 0;
        double top = 0;
        if (mode == Mode.RESIZE) {
            sx = (double) frameWidth / width;
            sy = (double) frameHeight / height;
        } else {
            int[] size = resizedSize(frameWidth, frameHeight);
            sx = (double) frameWidth / size[0];
            sy = (double) frameHeight / size[1];
            left = ImageResize.cropOffset(size[0], width);
            top = ImageResize.cropOffset(size[1], height);
        }
        int x0 = (int) Math.max(0, Math.floor((x + left) * sx));
        int y0 = (int) Math.max(0, Math.floor((y + top) * sy));
        int x1 = (int) Math.min(frameWidth, Math.ceil((x + boxWidth + left) * sx));
        int y1 = (int) Math.min(frameHeight, Math.ceil((y + boxHeight + top) * sy));
        return new int[]{x0, y0, x1 - x0, y1 - y0};
    }

    /** resize-crop: the size before cropping, shorter side {@link #resizeShorterSide()}, aspect kept. */
    private int[] resizedSize(int frameWidth, int frameHeight) {
        int shorter = resizeShorterSide();
        return frameWidth <= frameHeight
                ? new int[]{shorter, (int) ((long) frameHeight * shorter / frameWidth)}
                : new int[]{(int) ((long) frameWidth * shorter / frameHeight), shorter};
    }

    /** Parses "WxH". */
    public static int[] parseSize(String size) {
        String[] parts = size.toLowerCase().split("x");
        try {
            if (parts.length == 2) {
                return new int[]{Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("size must be WIDTHxHEIGHT, e.g. 224x224, got '" + size + "'");
    }

    @Override
    public String toString() {
        return mode.label + " " + width + "x" + height;
    }
}
