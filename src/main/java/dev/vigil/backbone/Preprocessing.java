package dev.vigil.backbone;

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
