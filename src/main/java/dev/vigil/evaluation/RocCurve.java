package dev.vigil.evaluation;

/**
 * Points of a receiver operating characteristic, from (0, 0) to (1, 1), one per distinct score threshold (taken
 * in decreasing order; a pixel or image is positive when its score is at least the threshold).
 *
 * @param fpr {@code [points]} false-positive rate, non-decreasing
 * @param tpr {@code [points]} true-positive rate, non-decreasing
 */
public record RocCurve(double[] fpr, double[] tpr) {
    public RocCurve {
        if (fpr.length != tpr.length) {
            throw new IllegalArgumentException("fpr has " + fpr.length + " points but tpr has " + tpr.length);
        }
    }

    /** Number of points. */
    public int size() {
        return fpr.length;
    }

    /** Area under the curve by the trapezoid rule; equals the Mann-Whitney AUROC with ties counted 1/2. */
    public double area() {
        double area = 0;
        for (int k = 1; k < fpr.length; k++) {
            area += (fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2;
        }
        return area;
    }
}
