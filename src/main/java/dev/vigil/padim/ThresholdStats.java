package dev.vigil.padim;

import java.util.Arrays;

/**
 * Image scores of held-back normal frames, and the alert threshold a {@link ThresholdRule} derives from them with no
 * labelled anomalies (by default {@code p99 + (p99 - p50)}, see docs/model-format.md). Scores of unseen normal frames
 * have a long right tail, so the held-back p99 alone or {@code mean + 3 std} alarm on several percent of new normal
 * frames (docs/results.md). The scores themselves stay in the model, so that another rule can be applied later
 * without refitting ({@link #withRule}).
 *
 * @param rule   the rule the threshold was derived with, as {@link ThresholdRule#toString()} gives it
 * @param scores the held-back scores, ascending; empty for models written before they were stored
 */
public record ThresholdStats(int frames, double mean, double std, double p50, double p95, double p99, double max,
                             double threshold, String rule, double[] scores) {
    /** The rule of models written before rules were configurable, as their header spells it. */
    public static final String LEGACY_RULE = "p99 + (p99 - p50) of held-back normal image scores";

    /** No held-back frames: threshold unknown (NaN) until set by the user. */
    public static ThresholdStats none() {
        return new ThresholdStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                ThresholdRule.DEFAULT.toString(), new double[0]);
    }

    public static ThresholdStats fromNormalScores(double[] scores) {
        return fromNormalScores(scores, ThresholdRule.DEFAULT);
    }

    public static ThresholdStats fromNormalScores(double[] scores, ThresholdRule rule) {
        if (scores.length == 0) {
            ThresholdStats none = none();
            return none.withRule(rule);
        }
        double[] s = scores.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(Double.NaN);
        double var = 0;
        for (double v : s) {
            var += (v - mean) * (v - mean);
        }
        double std = s.length > 1 ? Math.sqrt(var / (s.length - 1)) : 0.0;
        ThresholdStats stats = new ThresholdStats(s.length, mean, std, quantile(s, 0.5), quantile(s, 0.95),
                quantile(s, 0.99), s[s.length - 1], Double.NaN, rule.toString(), s);
        return stats.withRule(rule);
    }

    /**
     * The q quantile of the held-back scores; models without stored scores answer only for 0.5, 0.95, 0.99 and 1.
     *
     * @throws IllegalArgumentException for another q when the scores were not stored
     */
    public double quantile(double q) {
        if (scores.length > 0) {
            return quantile(scores, q);
        }
        if (q == 0.5) {
            return p50;
        } else if (q == 0.95) {
            return p95;
        } else if (q == 0.99) {
            return p99;
        } else if (q == 1) {
            return max;
        }
        throw new IllegalArgumentException("the model holds no held-back scores (written before Vigil stored them): "
                + "only rules on p50, p95, p99, p100, mean and std apply to it, not the " + q + " quantile");
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /** The same scores with the threshold another rule gives. */
    public ThresholdStats withRule(ThresholdRule rule) {
        return new ThresholdStats(frames, mean, std, p50, p95, p99, max, rule.apply(this), rule.toString(), scores);
    }

    /** A threshold set by hand: the rule becomes {@code fixed:T}. */
    public ThresholdStats withThreshold(double threshold) {
        return withRule(ThresholdRule.fixed(threshold));
    }
}
