package dev.vigil.padim;

import java.util.Arrays;

/**
 * Image scores of held-back normal frames, and the default alert threshold derived from them with no labelled
 * anomalies: {@code threshold = p99 + (p99 - p50)}, the 99th percentile plus its distance from the median (see
 * docs/model-format.md). Scores of unseen normal frames have a long right tail, so the held-back p99 alone or
 * {@code mean + 3 std} alarm on several percent of new normal frames (docs/results.md). A deployment may override the
 * threshold; the statistics stay in the model so the choice can be revisited.
 */
public record ThresholdStats(int frames, double mean, double std, double p50, double p95, double p99, double max,
                             double threshold) {
    public static final String RULE = "p99 + (p99 - p50) of held-back normal image scores";

    /** No held-back frames: threshold unknown (NaN) until set by the user. */
    public static ThresholdStats none() {
        return new ThresholdStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    public static ThresholdStats fromNormalScores(double[] scores) {
        if (scores.length == 0) {
            return none();
        }
        double[] s = scores.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(Double.NaN);
        double var = 0;
        for (double v : s) {
            var += (v - mean) * (v - mean);
        }
        double std = s.length > 1 ? Math.sqrt(var / (s.length - 1)) : 0.0;
        double p99 = quantile(s, 0.99);
        double p50 = quantile(s, 0.5);
        return new ThresholdStats(s.length, mean, std, p50, quantile(s, 0.95), p99, s[s.length - 1], p99 + (p99 - p50));
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public ThresholdStats withThreshold(double threshold) {
        return new ThresholdStats(frames, mean, std, p50, p95, p99, max, threshold);
    }
}
