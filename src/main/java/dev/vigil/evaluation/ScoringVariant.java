package dev.vigil.evaluation;

import dev.vigil.padim.FrameScore;

/**
 * One way of scoring frames, compared side by side by {@code eval --variants}: a stream (the paper's appearance
 * Gaussians alone, or blended with the motion stream's, {@link dev.vigil.padim.FrameDifferences}) and a frame score.
 *
 * @param motionWeight 0 for appearance alone, else the motion stream's weight in the blend
 */
public record ScoringVariant(String name, double motionWeight, FrameScore frameScore) {
    public static final String DEFAULTS = "plain,top:0.05,motion:3,motion:3+top:0.05";

    /**
     * {@code plain} (the paper's PaDiM), {@code STREAM} or {@code STREAM+SCORE}: STREAM is {@code appearance} or
     * {@code motion:W}, SCORE is {@code max} or {@code top:F}; a lone {@code top:F} is the appearance stream with it.
     */
    public static ScoringVariant parse(String text) {
        String t = text.trim();
        if (t.equals("plain")) {
            return new ScoringVariant(t, 0, FrameScore.MAX);
        }
        String[] parts = t.split("\\+", 2);
        String stream = parts[0];
        String score = parts.length > 1 ? parts[1] : "max";
        if (stream.startsWith("top:") && parts.length == 1) {
            return new ScoringVariant(t, 0, FrameScore.parse(stream));
        }
        double weight;
        if (stream.equals("appearance")) {
            weight = 0;
        } else if (stream.startsWith("motion:")) {
            try {
                weight = Double.parseDouble(stream.substring(7));
            } catch (NumberFormatException e) {
                weight = Double.NaN;
            }
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("variant '" + text + "': motion:W needs a positive weight W");
            }
        } else {
            throw new IllegalArgumentException("variant '" + text + "' must be plain, appearance[+SCORE], top:F or "
                    + "motion:W[+SCORE], SCORE being max or top:F");
        }
        try {
            return new ScoringVariant(t, weight, FrameScore.parse(score));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("variant '" + text + "': " + e.getMessage(), e);
        }
    }

    public boolean usesMotion() {
        return motionWeight > 0;
    }
}
