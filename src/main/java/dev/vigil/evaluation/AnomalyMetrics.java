package dev.vigil.evaluation;

import dev.vigil.padim.ConnectedRegions;

import java.util.Arrays;
import java.util.List;

/**
 * Detection and segmentation metrics of anomaly detection, as defined by the reference vectors in
 * {@code testvectors/metrics.json}: image AUROC and pixel AUROC with ties counted 1/2 (Mann-Whitney U), and the
 * per-region overlap (PRO) integrated up to a false-positive rate.
 *
 * <p>The pixel metrics hold only one float (or one long) per pixel and never box, so that a whole test set of
 * tens of millions of pixels fits in a few hundred megabytes.
 */
public final class AnomalyMetrics {

    // arrays cannot hold quite Integer.MAX_VALUE elements on common JVMs
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private AnomalyMetrics() {
    }

    /**
     * Image-level AUROC: the probability that an anomalous image scores higher than a normal one, ties counting 1/2.
     *
     * @param scores {@code [images]} anomaly score of each image
     * @param labels {@code [images]} true for anomalous images
     */
    public static double imageAuroc(double[] scores, boolean[] labels) {
        double[][] split = splitByLabel(scores, labels);
        return mannWhitney(split[0], split[1]);
    }

    /**
     * {@link #imageAuroc} of images gathered one by one, or null when they hold only one class (a clip with no
     * anomalous frame, a fold of normal footage alone): there is then nothing to rank.
     */
    public static Double imageAurocOrNull(List<Double> scores, List<Boolean> labels) {
        if (!labels.contains(true) || !labels.contains(false)) {
            return null;
        }
        boolean[] l = new boolean[labels.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels.get(i);
        }
        return imageAuroc(scores.stream().mapToDouble(Double::doubleValue).toArray(), l);
    }

    /**
     * ROC curve of image scores, one point per distinct score.
     *
     * @param scores {@code [images]} anomaly score of each image
     * @param labels {@code [images]} true for anomalous images
     */
    public static RocCurve roc(double[] scores, boolean[] labels) {
        double[][] split = splitByLabel(scores, labels);
        double[] positives = split[0];
        double[] negatives = split[1];
        double[] fpr = new double[scores.length + 1];
        double[] tpr = new double[scores.length + 1];
        int points = 1; // (0, 0): threshold above every score
        int i = positives.length - 1;
        int j = negatives.length - 1;
        while (i >= 0 || j >= 0) {
            double threshold = Math.max(i >= 0 ? positives[i] : Double.NEGATIVE_INFINITY,
                    j >= 0 ? negatives[j] : Double.NEGATIVE_INFINITY);
            while (i >= 0 && positives[i] == threshold) {
                i--;
            }
            while (j >= 0 && negatives[j] == threshold) {
                j--;
            }
            fpr[points] = (double) (negatives.length - 1 - j) / negatives.length;
            tpr[points] = (double) (positives.length - 1 - i) / positives.length;
            points++;
        }
        return new RocCurve(Arrays.copyOf(fpr, points), Arrays.copyOf(tpr, points));
    }

    /**
     * Pixel-level AUROC over all pixels of all maps, ties counting 1/2.
     *
     * @param maps  per image {@code [height * width]} anomaly map, row-major
     * @param masks per image {@code [height * width]} ground truth, true for anomalous pixels
     */
    public static double pixelAuroc(List<float[]> maps, List<boolean[]> masks) {
        long[] counts = countPixels(maps, masks);
        float[] positives = new float[(int) counts[0]];
        float[] negatives = new float[(int) counts[1]];
        int p = 0;
        int n = 0;
        for (int k = 0; k < maps.size(); k++) {
            float[] map = maps.get(k);
            boolean[] mask = masks.get(k);
            for (int q = 0; q < map.length; q++) {
                if (mask[q]) {
                    positives[p++] = checked(map[q], k, q);
                } else {
                    negatives[n++] = checked(map[q], k, q);
                }
            }
        }
        // sequential sort: parallelSort would need a second array of the same size
        Arrays.sort(positives);
        Arrays.sort(negatives);
        return mannWhitney(positives, negatives);
    }

    /**
     * Per-region overlap (PRO) up to a false-positive rate. For every distinct score t, taken in decreasing order,
     * pixels scoring at least t are predicted anomalous; the curve point is (false-positive rate over all normal
     * pixels, mean over all 8-connected ground-truth regions of all images of the fraction of the region predicted).
     * Starting at (0, 0), the curve is integrated by the trapezoid rule up to {@code maxFpr}, its value there
     * interpolated linearly between the two points around it, and the area divided by {@code maxFpr}.
     *
     * @param maps   per image {@code [height * width]} anomaly map, row-major
     * @param masks  per image {@code [height * width]} ground truth, true for anomalous pixels; images without any
     *               contribute only normal pixels
     * @param maxFpr upper limit of the false-positive rate, in (0, 1]; 0.3 is customary
     */
    public static double pro(List<float[]> maps, List<boolean[]> masks, int width, int height, double maxFpr) {
        if (!(maxFpr > 0 && maxFpr <= 1)) {
            throw new IllegalArgumentException("maxFpr must be in (0, 1], got " + maxFpr);
        }
        for (int k = 0; k < maps.size(); k++) {
            if (maps.get(k).length != (long) width * height) {
                throw new IllegalArgumentException("map " + k + " has " + maps.get(k).length + " pixels, expected "
                        + width + "x" + height);
            }
        }
        long[] counts = countPixels(maps, masks);

        // anomalous pixels carry their global region in the low half of a sortable key; normal ones need only a score
        long[] anomalous = new long[(int) counts[0]];
        float[] normal = new float[(int) counts[1]];
        int[] regionSizes = new int[16];
        int regions = 0;
        int a = 0;
        int n = 0;
        for (int k = 0; k < maps.size(); k++) {
            float[] map = maps.get(k);
            boolean[] mask = masks.get(k);
            ConnectedRegions labelled = ConnectedRegions.of(mask, width, height);
            int[] labels = labelled.labels();
            int[] sizes = labelled.sizes();
            if (regions + labelled.count() > regionSizes.length) {
                regionSizes = Arrays.copyOf(regionSizes, Math.max(2 * regionSizes.length, regions + labelled.count()));
            }
            System.arraycopy(sizes, 1, regionSizes, regions, labelled.count());
            for (int q = 0; q < map.length; q++) {
                float score = checked(map[q], k, q);
                if (mask[q]) {
                    anomalous[a++] = key(score, regions + labels[q] - 1);
                } else {
                    normal[n++] = score;
                }
            }
            regions += labelled.count();
        }
        Arrays.sort(anomalous);
        Arrays.sort(normal);

        double area = 0;
        double previousFpr = 0;
        double previousPro = 0;
        // compensated sum of per-region overlap fractions: millions of small increments would otherwise drift
        double overlapSum = 0;
        double compensation = 0;
        int i = anomalous.length - 1;
        int j = normal.length - 1;
        while (i >= 0 || j >= 0) {
            float threshold = Math.max(i >= 0 ? score(anomalous[i]) : Float.NEGATIVE_INFINITY,
                    j >= 0 ? normal[j] : Float.NEGATIVE_INFINITY);
            while (i >= 0 && score(anomalous[i]) == threshold) {
                double y = 1.0 / regionSizes[(int) anomalous[i]] - compensation;
                double t = overlapSum + y;
                compensation = (t - overlapSum) - y;
                overlapSum = t;
                i--;
            }
            while (j >= 0 && normal[j] == threshold) {
                j--;
            }
            double fpr = (double) (normal.length - 1 - j) / normal.length;
            double pro = overlapSum / regions;
            if (fpr >= maxFpr) {
                double proAtMax = fpr == maxFpr ? pro
                        : previousPro + (pro - previousPro) * (maxFpr - previousFpr) / (fpr - previousFpr);
                area += (maxFpr - previousFpr) * (previousPro + proAtMax) / 2;
                return area / maxFpr;
            }
            area += (fpr - previousFpr) * (previousPro + pro) / 2;
            previousFpr = fpr;
            previousPro = pro;
        }
        throw new IllegalStateException("false-positive rate never reached " + maxFpr); // unreachable: fpr ends at 1
    }

    /** Mann-Whitney U of sorted positives against sorted negatives, divided by the number of pairs. */
    private static double mannWhitney(double[] positives, double[] negatives) {
        long twiceU = 0; // twice U keeps the half counts of ties exact
        int below = 0;
        int belowOrEqual = 0;
        for (double p : positives) {
            while (below < negatives.length && negatives[below] < p) {
                below++;
            }
            belowOrEqual = Math.max(belowOrEqual, below);
            while (belowOrEqual < negatives.length && negatives[belowOrEqual] <= p) {
                belowOrEqual++;
            }
            twiceU += below + belowOrEqual;
        }
        return twiceU / (2.0 * positives.length * negatives.length);
    }

    /** As {@link #mannWhitney(double[], double[])}, for float scores. */
    private static double mannWhitney(float[] positives, float[] negatives) {
        long twiceU = 0;
        int below = 0;
        int belowOrEqual = 0;
        for (float p : positives) {
            while (below < negatives.length && negatives[below] < p) {
                below++;
            }
            belowOrEqual = Math.max(belowOrEqual, below);
            while (belowOrEqual < negatives.length && negatives[belowOrEqual] <= p) {
                belowOrEqual++;
            }
            twiceU += below + belowOrEqual;
        }
        return twiceU / (2.0 * positives.length * negatives.length);
    }

    /** Sorted scores of the positives and of the negatives: {@code {[positives], [negatives]}}. */
    private static double[][] splitByLabel(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("got " + scores.length + " scores but " + labels.length + " labels");
        }
        int positives = 0;
        for (boolean label : labels) {
            positives += label ? 1 : 0;
        }
        requireBothClasses(positives, scores.length - positives, "images");
        double[] pos = new double[positives];
        double[] neg = new double[scores.length - positives];
        int p = 0;
        int n = 0;
        for (int k = 0; k < scores.length; k++) {
            if (Double.isNaN(scores[k])) {
                throw new IllegalArgumentException("score " + k + " is NaN");
            }
            if (labels[k]) {
                pos[p++] = scores[k];
            } else {
                neg[n++] = scores[k];
            }
        }
        Arrays.sort(pos);
        Arrays.sort(neg);
        return new double[][] {pos, neg};
    }

    /** Checks maps against masks; returns {anomalous pixels, normal pixels}. */
    private static long[] countPixels(List<float[]> maps, List<boolean[]> masks) {
        if (maps.size() != masks.size()) {
            throw new IllegalArgumentException("got " + maps.size() + " maps but " + masks.size() + " masks");
        }
        long anomalous = 0;
        long total = 0;
        for (int k = 0; k < maps.size(); k++) {
            boolean[] mask = masks.get(k);
            if (maps.get(k).length != mask.length) {
                throw new IllegalArgumentException("map " + k + " has " + maps.get(k).length + " pixels but its mask "
                        + mask.length);
            }
            for (boolean m : mask) {
                anomalous += m ? 1 : 0;
            }
            total += mask.length;
        }
        requireBothClasses(anomalous, total - anomalous, "pixels");
        if (anomalous > MAX_ARRAY || total - anomalous > MAX_ARRAY) {
            throw new IllegalArgumentException("too many pixels for one evaluation: " + total);
        }
        return new long[] {anomalous, total - anomalous};
    }

    private static void requireBothClasses(long positives, long negatives, String what) {
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException("the metric needs both anomalous and normal " + what + ", got "
                    + positives + " anomalous and " + negatives + " normal");
        }
    }

    private static float checked(float score, int map, int pixel) {
        if (Float.isNaN(score)) {
            throw new IllegalArgumentException("map " + map + " is NaN at pixel " + pixel);
        }
        return score + 0.0f; // turns -0 into +0, so that equal scores get equal sort keys
    }

    /** Sortable key: the score's order in the high 32 bits (signed compare), the region in the low 32. */
    private static long key(float score, int region) {
        int bits = Float.floatToIntBits(score);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // negative floats: reverse magnitude order
        return ((long) ordered << 32) | (region & 0xffffffffL);
    }

    private static float score(long key) {
        int ordered = (int) (key >> 32);
        return Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7fffffff));
    }
}
