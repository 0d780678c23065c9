package dev.vigil.evaluation;

import java.util.Locale;

/** How an evaluation dataset is laid out on disk (see docs/evaluation.md). */
public enum Layout {
    /** {@code train/good/*.png}, {@code test/<type>/*.png}, {@code ground_truth/<type>/<name>_mask.png} */
    MVTEC,
    /** {@code train/*.mp4}, {@code test/<clip>.mp4}, {@code test/<clip>_gt/<frame>.png}, {@code test/labels.json} */
    CLIPS;

    public static Layout parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown layout '" + s + "': mvtec or clips");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
