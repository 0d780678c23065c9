package dev.vigil.padim;

import java.util.Arrays;

/**
 * How a frame's score is taken from its patch distances. {@code max} is the paper's: the maximum of the blurred
 * anomaly map, which one rare patch decides. {@code top:F} is the mean of the highest fraction F of the patch grid's
 * distances: an anomaly covers many patches, while a normal object in a rarely seen place raises few, so the frame
 * score follows the extent of what is unusual rather than its single worst patch (docs/evaluation.md, variants).
 * {@code region:F} takes the same highest fraction F of patches but counts only the strongest 8-connected region of
 * them: the sum of its distances over the {@code ceil(F n)} patches. A compact anomaly keeps its whole top fraction in
 * one region and scores as {@code top:F} does, while a crowd of ordinary walkers, each a little unusual, splits it
 * into one region per walker, and no single one adds up.
 *
 * @param topFraction 0 for {@code max}, else the fraction of patches taken, in (0, 1]
 * @param region      whether only the strongest connected region of them counts ({@code region:F})
 */
public record FrameScore(double topFraction, boolean region) {
    public static final FrameScore MAX = new FrameScore(0);

    public FrameScore {
        if (!(topFraction >= 0 && topFraction <= 1) || (region && topFraction == 0)) {
            throw new IllegalArgumentException("frame score fraction must be in (0, 1], or 0 for the maximum, got "
                    + topFraction);
        }
    }

    /** {@code top:F}, or the maximum for 0. */
    public FrameScore(double topFraction) {
        this(topFraction, false);
    }

    /** {@code max}, {@code top:F} or {@code region:F} with 0 < F <= 1 (e.g. {@code top:0.05}). */
    public static FrameScore parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("max")) {
            return MAX;
        }
        boolean region = t.startsWith("region:");
        if (t.startsWith("top:") || region) {
            double f;
            try {
                f = Double.parseDouble(t.substring(region ? 7 : 4));
            } catch (NumberFormatException e) {
                f = Double.NaN;
            }
            if (f > 0 && f <= 1) {
                return new FrameScore(f, region);
            }
        }
        throw new IllegalArgumentException("frame score must be max or top:F (or region:F) with 0 < F <= 1 "
                + "(e.g. top:0.05), got '" + text + "'");
    }

    public boolean isMax() {
        return topFraction == 0;
    }

    /**
     * @param grid      the frame's patch distances, {@code [positions]} from {@code from} (read only)
     * @param gridWidth the patch grid's width (its rows are one after another)
     * @param map       its anomaly map (for {@code max})
     */
    public float score(float[] grid, int from, int positions, int gridWidth, float[] map) {
        if (isMax()) {
            return AnomalyMaps.max(map);
        }
        return region ? regionMean(grid, from, positions, gridWidth, topFraction)
                : topMean(grid, from, positions, topFraction);
    }

    /** Mean of the {@code ceil(fraction x n)} largest of {@code v[from, from + n)}. */
    public static float topMean(float[] v, int from, int n, double fraction) {
        int k = Math.max(1, (int) Math.ceil(fraction * n));
        float[] sorted = Arrays.copyOfRange(v, from, from + n);
        Arrays.sort(sorted);
        double sum = 0;
        for (int i = n - k; i < n; i++) {
            sum += sorted[i];
        }
        return (float) (sum / k);
    }

    /**
     * The {@code k = ceil(fraction x n)} largest of {@code v[from, from + n)} (ties at the k-th included), split into
     * 8-connected regions of the grid: the largest sum of one region's values, over k.
     */
    public static float regionMean(float[] v, int from, int n, int width, double fraction) {
        int k = Math.max(1, (int) Math.ceil(fraction * n));
        float[] sorted = Arrays.copyOfRange(v, from, from + n);
        Arrays.sort(sorted);
        float level = sorted[n - k];
        boolean[] strong = new boolean[n];
        for (int p = 0; p < n; p++) {
            strong[p] = v[from + p] >= level;
        }
        ConnectedRegions regions = ConnectedRegions.of(strong, width, n / width);
        double[] sums = new double[regions.count() + 1];
        for (int p = 0; p < n; p++) {
            sums[regions.labels()[p]] += strong[p] ? v[from + p] : 0;
        }
        double best = 0;
        for (int r = 1; r < sums.length; r++) {
            best = Math.max(best, sums[r]);
        }
        return (float) (best / k);
    }

    @Override
    public String toString() {
        return isMax() ? "max" : (region ? "region:" : "top:") + topFraction;
    }
}
