package dev.vigil.backbone;

import dev.vigil.media.RgbImage;

/**
 * Turns frames into the backbone's input: geometry first ({@link Preprocessing}), then the manifest's
 * normalisation {@code (x * scale - mean) / std} per channel, written NCHW.
 */
public final class InputTensor {
    private final Preprocessing preprocessing;
    private final float[] multiply = new float[3];
    private final float[] add = new float[3];
    private final boolean bgr;

    public InputTensor(BackboneManifest.Input input, Preprocessing preprocessing) {
        this.preprocessing = preprocessing;
        for (int c = 0; c < 3; c++) {
            // (x * scale - mean) / std folded into one multiply-add per pixel
            multiply[c] = (float) (input.scale() / input.std()[c]);
            add[c] = (float) (-input.mean()[c] / input.std()[c]);
        }
        this.bgr = "BGR".equals(input.channels());
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The frame as the backbone sees it, before normalisation: resized (and cropped) to the input size. */
    public RgbImage prepare(RgbImage frame) {
        return preprocessing.apply(frame);
    }

    /** Writes an already prepared image as image {@code index} of an NCHW batch. */
    public void write(RgbImage prepared, float[] batch, int index) {
        int width = preprocessing.width();
        int height = preprocessing.height();
        if (prepared.width() != width || prepared.height() != height) {
            throw new IllegalArgumentException("prepared image is " + prepared.width() + "x" + prepared.height()
                    + ", the backbone input is " + width + "x" + height);
        }
        int plane = width * height;
        int base = index * 3 * plane;
        byte[] px = prepared.pixels();
        for (int c = 0; c < 3; c++) {
            int src = bgr ? 2 - c : c;
            float m = multiply[c];
            float a = add[c];
            int dst = base + c * plane;
            for (int i = 0; i < plane; i++) {
                batch[dst + i] = (px[i * 3 + src] & 0xff) * m + a;
            }
        }
    }
}
