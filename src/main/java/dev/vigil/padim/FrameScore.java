package dev.vigil.padim;

import java.util.Arrays;

/**
 * How a frame's score is taken from its patch distances. {@code max} is the paper's: the maximum of the blurred
 * anomaly map, which one rare patch decides. {@code top:F} is the mean of the highest fraction F of the patch grid's
 * distances: an anomaly covers many patches, while a normal object in a rarely seen place raises few, so the frame
 * score follows the extent of what is unusual rather than its single worst patch (docs/evaluation.md, variants).
 *
 * @param topFraction 0 for {@code max}, else the fraction of patches averaged, in (0, 1]
 */
public record FrameScore(double topFraction) {
    public static final FrameScore MAX = new FrameScore(0);

    public FrameScore {
        if (!(topFraction >= 0 && topFraction <= 1)) {
            throw new IllegalArgumentException("frame score fraction must be in (0, 1], or 0 for the maximum, got "
                    + topFraction);
        }
    }

    /** {@code max} or {@code top:F} with 0 < F <= 1 (e.g. {@code top:0.05}). */
    public static FrameScore parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("max")) {
            return MAX;
        }
        if (t.startsWith("top:")) {
            double f;
            try {
                f = Double.parseDouble(t.substring(4));
            } catch (NumberFormatException e) {
                f = Double.NaN;
            }
            if (f > 0 && f <= 1) {
                return new FrameScore(f);
            }
        }
        throw new IllegalArgumentException("frame score must be max or top:F with 0 < F <= 1 (e.g. top:0.05), got '"
                + text + "'");
    }

    public boolean isMax() {
        return topFraction == 0;
    }

    /**
     * @param grid the frame's patch distances, {@code [positions]} (read only)
     * @param map  its anomaly map (for {@code max})
     */
    public float score(float[] grid, int from, int positions, float[] map) {
        if (isMax()) {
            return AnomalyMaps.max(map);
        }
        return topMean(grid, from, positions, topFraction);
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

    @Override
    public String toString() {
        return isMax() ? "max" : "top:" + topFraction;
    }
}
