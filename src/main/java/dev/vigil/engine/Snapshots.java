package dev.vigil.engine;

import dev.vigil.media.FrameCodec;
import dev.vigil.media.HeatOverlay;
import dev.vigil.media.RgbImage;

import java.io.IOException;
import java.util.List;

/** An alert's picture: the frame with its anomaly map and the alert's boxes over it, as a JPEG. */
public final class Snapshots {
    private Snapshots() {
    }

    /**
     * @param encoded   the frame as it travelled (PNG or JPEG), decoded under the engine's bounds
     * @param width     its size (and {@code height}), as its record says and as the engine checked when it scored it
     * @param maxPixels the engine's limit ({@link ScoringEngine#maxFramePixels()}), which the frame passed already
     * @param threshold the model's threshold (NaN: none), drawn mid-scale; twice the threshold is red
     * @param boxes     {x, y, width, height} in frame pixels
     */
    public static byte[] draw(byte[] encoded, int width, int height, long maxPixels, Detection d,
                              ScoringEngine.CameraModel model, double threshold, List<int[]> boxes) throws IOException {
        RgbImage frame = FrameCodec.decode(encoded, width, height, maxPixels);
        int[] region = model.toFrame(0, 0, d.width(), d.height(), frame.width(), frame.height());
        float vmax = (float) (Double.isNaN(threshold) ? d.score() : 2 * threshold);
        RgbImage drawn = HeatOverlay.draw(frame, d.map(), d.width(), d.height(), region, vmax, boxes);
        return FrameCodec.DEFAULT.encode(drawn);
    }
}
