package dev.vigil.media;

/**
 * Draws an anomaly map over a frame at the frame's own resolution, for alert snapshots: jet colours, more opaque
 * the more anomalous (a normal region stays readable under a faint blue), and boxes outlined in white. The map
 * covers the part of the frame the model saw ({@code region}: the whole frame when resized, the centre when
 * cropped) and is sampled bilinearly.
 */
public final class HeatOverlay {
    /** opacity of the heat colour at the top of the scale */
    private static final float MAX_ALPHA = 0.6f;

    private HeatOverlay() {
    }

    /**
     * @param map    {@code [mapHeight * mapWidth]} distances
     * @param region {x, y, width, height}: where the map lies on the frame, in frame pixels
     * @param vmax   the distance drawn red and most opaque (and above)
     * @param boxes  {x, y, width, height} rectangles in frame pixels, outlined
     * @return a new image; {@code frame} is left as it was
     */
    public static RgbImage draw(RgbImage frame, float[] map, int mapWidth, int mapHeight, int[] region, float vmax,
                                java.util.List<int[]> boxes) {
        if (map.length != mapWidth * mapHeight) {
            throw new IllegalArgumentException("map has " + map.length + " values, expected " + mapWidth + "x"
                    + mapHeight);
        }
        if (!(vmax > 0)) {
            throw new IllegalArgumentException("vmax must be positive, got " + vmax);
        }
        int w = frame.width();
        int h = frame.height();
        byte[] px = frame.pixels().clone();
        int x0 = Math.max(0, region[0]);
        int y0 = Math.max(0, region[1]);
        int x1 = Math.min(w, region[0] + region[2]);
        int y1 = Math.min(h, region[1] + region[3]);
        double sx = (double) mapWidth / region[2];
        double sy = (double) mapHeight / region[3];
        for (int y = y0; y < y1; y++) {
            // half-pixel centres, as the map's own upsampling
            double my = Math.max(0, Math.min(mapHeight - 1, (y - region[1] + 0.5) * sy - 0.5));
            int my0 = (int) my;
            int my1 = Math.min(mapHeight - 1, my0 + 1);
            double fy = my - my0;
            for (int x = x0; x < x1; x++) {
                double mx = Math.max(0, Math.min(mapWidth - 1, (x - region[0] + 0.5) * sx - 0.5));
                int mx0 = (int) mx;
                int mx1 = Math.min(mapWidth - 1, mx0 + 1);
                double fx = mx - mx0;
                double value = (1 - fy) * ((1 - fx) * map[my0 * mapWidth + mx0] + fx * map[my0 * mapWidth + mx1])
                        + fy * ((1 - fx) * map[my1 * mapWidth + mx0] + fx * map[my1 * mapWidth + mx1]);
                float v = (float) Math.max(0, Math.min(1, value / vmax));
                float alpha = MAX_ALPHA * v;
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    int under = px[o + c] & 0xff;
                    px[o + c] = (byte) Math.round((1 - alpha) * under + alpha * jet(v, 3 - c));
                }
            }
        }
        for (int[] b : boxes) {
            outline(px, w, h, b[0], b[1], b[2], b[3]);
        }
        return new RgbImage(w, h, px);
    }

    /** Jet colour map channel as 0..255: {@code phase} 3 = red, 2 = green, 1 = blue. */
    static int jet(float v, int phase) {
        double c = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - phase)));
        return (int) Math.round(255 * c);
    }

    private static void outline(byte[] px, int w, int h, int bx, int by, int bw, int bh) {
        int right = Math.min(w - 1, bx + bw - 1);
        int bottom = Math.min(h - 1, by + bh - 1);
        for (int t = 0; t < 2; t++) {
            for (int x = Math.max(0, bx); x <= right; x++) {
                white(px, w, h, x, by + t);
                white(px, w, h, x, bottom - t);
            }
            for (int y = Math.max(0, by); y <= bottom; y++) {
                white(px, w, h, bx + t, y);
                white(px, w, h, right - t, y);
            }
        }
    }

    private static void white(byte[] px, int w, int h, int x, int y) {
        if (x >= 0 && y >= 0 && x < w && y < h) {
            int o = (y * w + x) * 3;
            px[o] = px[o + 1] = px[o + 2] = (byte) 255;
        }
    }
}
