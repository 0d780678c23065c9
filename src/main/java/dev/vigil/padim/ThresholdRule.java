package dev.vigil.padim;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How an alert threshold is derived from the image scores of held-back normal frames, with no labelled anomalies
 * (docs/model-format.md). Written as text, in four forms:
 * <ul>
 *   <li>{@code pA+K*(pA-pB)}: the A-th percentile plus K times its distance from the B-th, e.g. the default
 *       {@code p99+1*(p99-p50)}; {@code pA} alone is the A-th percentile;</li>
 *   <li>{@code quantile:Q}: the Q quantile (0 &lt; Q &lt;= 1), {@code quantile:0.999} = {@code p99.9};</li>
 *   <li>{@code mean+K*std};</li>
 *   <li>{@code fixed:T}: T, whatever the scores (a threshold set by hand).</li>
 * </ul>
 */
public final class ThresholdRule {

    private enum Form { PERCENTILE, MEAN_STD, FIXED }

    private static final String NUM = "(\\d+(?:\\.\\d+)?)";
    private static final Pattern PERCENTILE = Pattern.compile("p" + NUM + "(?:\\+" + NUM + "\\*\\(p" + NUM + "-p" + NUM + "\\))?");
    private static final Pattern QUANTILE = Pattern.compile("quantile:" + NUM);
    private static final Pattern MEAN_STD = Pattern.compile("mean\\+" + NUM + "\\*std");
    private static final Pattern FIXED = Pattern.compile("fixed:(.+)");

    // after the patterns, which parse() needs when the class initialises
    /** Unseen normal frames have a long right tail: p99 alone alarms on several percent of them (docs/results.md). */
    public static final ThresholdRule DEFAULT = parse("p99+1*(p99-p50)");

    private final Form form;
    /** percentile form: quantiles a and b in [0, 1] and the factor k; mean-std: k; fixed: the value in k */
    private final double a;
    private final double b;
    private final double k;

    private ThresholdRule(Form form, double a, double b, double k) {
        this.form = form;
        this.a = a;
        this.b = b;
        this.k = k;
    }

    /** @throws IllegalArgumentException naming the rule and the forms accepted */
    public static ThresholdRule parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("threshold rule is missing");
        }
        String s = text.replaceAll("\\s+", "").toLowerCase(Locale.ROOT);
        Matcher m;
        if ((m = PERCENTILE.matcher(s)).matches()) {
            double pa = percent(m.group(1), text);
            if (m.group(2) == null) {
                return new ThresholdRule(Form.PERCENTILE, pa, pa, 0);
            }
            if (!m.group(1).equals(m.group(3)) && Double.parseDouble(m.group(1)) != Double.parseDouble(m.group(3))) {
                throw new IllegalArgumentException("threshold rule '" + text + "': in pA+K*(pA-pB) both A must be "
                        + "the same percentile");
            }
            return new ThresholdRule(Form.PERCENTILE, pa, percent(m.group(4), text), Double.parseDouble(m.group(2)));
        }
        if ((m = QUANTILE.matcher(s)).matches()) {
            double q = Double.parseDouble(m.group(1));
            if (q <= 0 || q > 1) {
                throw new IllegalArgumentException("threshold rule '" + text + "': the quantile must be in (0, 1], got " + q);
            }
            return new ThresholdRule(Form.PERCENTILE, q, q, 0);
        }
        if ((m = MEAN_STD.matcher(s)).matches()) {
            return new ThresholdRule(Form.MEAN_STD, 0, 0, Double.parseDouble(m.group(1)));
        }
        if ((m = FIXED.matcher(s)).matches()) {
            try {
                return new ThresholdRule(Form.FIXED, 0, 0, Double.parseDouble(m.group(1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("threshold rule '" + text + "': '" + m.group(1) + "' is not a number");
            }
        }
        throw new IllegalArgumentException("threshold rule '" + text + "' is not one of pA+K*(pA-pB) (e.g. "
                + "p99+1*(p99-p50)), pA, quantile:Q (e.g. quantile:0.999), mean+K*std, fixed:T");
    }

    private static double percent(String value, String text) {
        double p = Double.parseDouble(value);
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("threshold rule '" + text + "': percentiles must be in (0, 100], got " + value);
        }
        return p / 100;
    }

    public static ThresholdRule fixed(double threshold) {
        return new ThresholdRule(Form.FIXED, 0, 0, threshold);
    }

    /**
     * The threshold this rule gives for the statistics; NaN when there are no held-back scores (unless fixed).
     *
     * @throws IllegalArgumentException when the rule needs a quantile the statistics do not hold (a model written
     *                                  before the scores were stored keeps only p50, p95, p99 and max)
     */
    public double apply(ThresholdStats stats) {
        if (form == Form.FIXED) {
            return k;
        }
        if (stats.frames() == 0) {
            return Double.NaN;
        }
        if (form == Form.MEAN_STD) {
            return stats.mean() + k * stats.std();
        }
        double qa = stats.quantile(a);
        return k == 0 ? qa : qa + k * (qa - stats.quantile(b));
    }

    @Override
    public String toString() {
        return switch (form) {
            case FIXED -> "fixed:" + number(k);
            case MEAN_STD -> "mean+" + number(k) + "*std";
            case PERCENTILE -> k == 0 && a == b ? "p" + number(a * 100)
                    : "p" + number(a * 100) + "+" + number(k) + "*(p" + number(a * 100) + "-p" + number(b * 100) + ")";
        };
    }

    private static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        // 99.9 rather than 99.90000000000001: percentiles are written as typed
        double r = Math.round(v * 1e9) / 1e9;
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThresholdRule r && r.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
