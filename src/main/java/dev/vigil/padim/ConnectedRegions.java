package dev.vigil.padim;

/**
 * The 8-connected regions of a boolean mask, as used by the per-region overlap (PRO) metric and by the boxes of alerts.
 *
 * @param count  number of regions
 * @param labels {@code [height * width]} row-major: 0 for background, 1..count for the region of each pixel
 */
public record ConnectedRegions(int count, int[] labels) {

    /**
     * Labels the 8-connected regions of {@code mask} ({@code [height * width]}, row-major). Regions are numbered in
     * the order of their first pixel in row-major scan.
     */
    public static ConnectedRegions of(boolean[] mask, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("mask size must be positive, got " + width + "x" + height);
        }
        if (mask.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " mask pixels for " + width + "x"
                    + height + ", got " + mask.length);
        }
        int[] labels = new int[mask.length];
        // explicit queue instead of recursion: a large region would overflow the call stack; each pixel is queued once
        int[] queue = new int[mask.length];
        int count = 0;
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || labels[start] != 0) {
                continue;
            }
            int label = ++count;
            labels[start] = label;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            while (head < tail) {
                int p = queue[head++];
                int px = p % width;
                int py = p / width;
                for (int y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++) {
                    for (int x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
                        int q = y * width + x;
                        if (mask[q] && labels[q] == 0) {
                            labels[q] = label;
                            queue[tail++] = q;
                        }
                    }
                }
            }
        }
        return new ConnectedRegions(count, labels);
    }

    /** Pixel count of each region: {@code [count + 1]}, index 0 (background) included. */
    public int[] sizes() {
        int[] sizes = new int[count + 1];
        for (int label : labels) {
            sizes[label]++;
        }
        return sizes;
    }
}
