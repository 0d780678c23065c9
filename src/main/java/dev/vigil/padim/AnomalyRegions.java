package dev.vigil.padim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The anomalous regions of a map: its 8-connected components above a threshold, as boxes (what alerts carry). */
public final class AnomalyRegions {
    /**
     * One region, in map pixels.
     *
     * @param area pixels above the threshold
     * @param peak the region's highest value
     */
    public record Region(int x, int y, int width, int height, int area, float peak) {
    }

    private AnomalyRegions() {
    }

    /**
     * @param map       {@code [height * width]} row-major
     * @param minArea   regions smaller than this many pixels are dropped (specks at the threshold)
     * @param maxRegions at most this many regions, highest peak first
     */
    public static List<Region> find(float[] map, int width, int height, double threshold, int minArea,
                                    int maxRegions) {
        boolean[] mask = new boolean[map.length];
        boolean any = false;
        for (int i = 0; i < map.length; i++) {
            mask[i] = map[i] > threshold;
            any |= mask[i];
        }
        if (!any) {
            return List.of();
        }
        ConnectedRegions regions = ConnectedRegions.of(mask, width, height);
        int n = regions.count() + 1;
        int[] x0 = new int[n];
        int[] y0 = new int[n];
        int[] x1 = new int[n];
        int[] y1 = new int[n];
        int[] area = new int[n];
        float[] peak = new float[n];
        java.util.Arrays.fill(x0, Integer.MAX_VALUE);
        java.util.Arrays.fill(y0, Integer.MAX_VALUE);
        java.util.Arrays.fill(x1, -1);
        java.util.Arrays.fill(y1, -1);
        java.util.Arrays.fill(peak, Float.NEGATIVE_INFINITY);
        int[] labels = regions.labels();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int l = labels[y * width + x];
                if (l == 0) {
                    continue;
                }
                x0[l] = Math.min(x0[l], x);
                y0[l] = Math.min(y0[l], y);
                x1[l] = Math.max(x1[l], x);
                y1[l] = Math.max(y1[l], y);
                area[l]++;
                peak[l] = Math.max(peak[l], map[y * width + x]);
            }
        }
        List<Region> out = new ArrayList<>();
        for (int l = 1; l < n; l++) {
            if (area[l] >= minArea) {
                out.add(new Region(x0[l], y0[l], x1[l] - x0[l] + 1, y1[l] - y0[l] + 1, area[l], peak[l]));
            }
        }
        out.sort(Comparator.comparingDouble(Region::peak).reversed());
        return out.size() > maxRegions ? List.copyOf(out.subList(0, maxRegions)) : out;
    }
}
