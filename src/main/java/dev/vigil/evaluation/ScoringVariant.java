package dev.vigil.evaluation;

import dev.vigil.padim.FrameScore;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.SpatialPooling;

/**
 * One way of fitting and scoring frames, compared side by side by {@code eval --variants} and
 * {@code eval --cross-validate}: a stream (the paper's appearance Gaussians alone, or blended with the motion
 * stream's, {@link dev.vigil.padim.FrameDifferences}), a frame score, and optionally the Gaussians' spatial pooling.
 * Each is a model setting ({@link Scoring}), so what is measured is what {@code train} would fit and the scorer run.
 *
 * @param motionWeight 0 for appearance alone, else the motion stream's weight in the blend
 * @param pooling      the spatial pooling of the Gaussians: variants with the same pooling share one fit
 * @param memoryRadius R of {@code memory:R}, the row band of the patch memory ({@link dev.vigil.padim.PatchMemory})
 *                     that may call a patch normal where its position's Gaussian does not; -1 without
 * @param gateQuantile Q of {@code gate:Q}: the memory is asked only about patches above the held-back frames'
 *                     appearance Q-quantile ({@link dev.vigil.padim.MemoryBlend#gate}); 0 asks about every patch
 * @param motionMemory {@code motion-memory}: the motion stream has a memory of its own, of frame differences, with
 *                     the same row band and gate quantile
 * @param extremes     {@code evt}: the grid standardised by per-position extreme-value scales of the held-back frames
 *                     ({@link dev.vigil.padim.PositionExtremes}) before the frame score; {@code --cross-validate} only
 */
public record ScoringVariant(String name, double motionWeight, FrameScore frameScore, SpatialPooling pooling,
                             int memoryRadius, double gateQuantile, boolean motionMemory, boolean extremes) {
    /** the patch memory's row band half-width when there is none */
    public static final int NO_MEMORY = -1;

    public static final String DEFAULTS = "plain,top:0.05,motion:3+top:0.05,memory:1+motion:3+top:0.02";

    public ScoringVariant {
        if (pooling == null) {
            pooling = SpatialPooling.NONE;
        }
        if (memoryRadius < NO_MEMORY || memoryRadius > dev.vigil.padim.MemoryBlend.MAX_RADIUS) {
            throw new IllegalArgumentException("memory:R needs R from 0 to " + dev.vigil.padim.MemoryBlend.MAX_RADIUS
                    + ", got " + memoryRadius);
        }
        if (!(gateQuantile >= 0 && gateQuantile < 1)) {
            throw new IllegalArgumentException("gate:Q needs 0 <= Q < 1, got " + gateQuantile);
        }
    }

    /** Without a patch memory. */
    public ScoringVariant(String name, double motionWeight, FrameScore frameScore, SpatialPooling pooling) {
        this(name, motionWeight, frameScore, pooling, NO_MEMORY, 0, false, false);
    }

    /** Without spatial pooling. */
    public ScoringVariant(String name, double motionWeight, FrameScore frameScore) {
        this(name, motionWeight, frameScore, SpatialPooling.NONE);
    }

    /**
     * {@code plain} (the paper's PaDiM), or parts joined by {@code +}: a stream, {@code appearance} (the default) or
     * {@code motion:W}; a score, {@code max} (the default), {@code top:F} or {@code region:F}; and {@code pool:S} or {@code pool:SXxSY},
     * the Gaussians' spatial pooling; {@code memory:R}, the patch memory of rows y-R..y+R, and with it
     * {@code gate:Q}, its gate quantile (default {@link Scoring#DEFAULT_GATE}). A lone {@code top:F} is the
     * appearance stream with it.
     */
    public static ScoringVariant parse(String text) {
        String t = text.trim();
        if (t.equals("plain")) {
            return new ScoringVariant(t, 0, FrameScore.MAX);
        }
        double weight = 0;
        FrameScore score = FrameScore.MAX;
        SpatialPooling pooling = SpatialPooling.NONE;
        int memory = NO_MEMORY;
        Double gate = null;
        boolean motionMemory = false;
        boolean extremes = false;
        boolean stream = false;
        boolean scored = false;
        for (String part : t.split("\\+")) {
            try {
                if (part.equals("appearance") && !stream) {
                    stream = true;
                } else if (part.startsWith("motion:") && !stream) {
                    stream = true;
                    weight = weight(text, part.substring(7));
                } else if ((part.equals("max") || part.startsWith("top:") || part.startsWith("region:")) && !scored) {
                    scored = true;
                    score = FrameScore.parse(part);
                } else if (part.startsWith("pool:") && pooling.isNone()) {
                    pooling = SpatialPooling.parse(part.substring(5));
                } else if (part.startsWith("memory:") && memory == NO_MEMORY) {
                    memory = radius(text, part.substring(7));
                } else if (part.startsWith("gate:") && gate == null) {
                    gate = quantile(text, part.substring(5));
                } else if (part.equals("motion-memory") && !motionMemory) {
                    motionMemory = true;
                } else if (part.equals("evt") && !extremes) {
                    extremes = true;
                } else {
                    throw new IllegalArgumentException("variant '" + text + "' must be plain, or parts joined by +: "
                            + "appearance or motion:W, max or top:F or region:F, pool:S or pool:SXxSY, memory:R, "
                            + "gate:Q, motion-memory, evt, each at most once");
                }
            } catch (IllegalArgumentException e) {
                throw e.getMessage().startsWith("variant '") ? e
                        : new IllegalArgumentException("variant '" + text + "': " + e.getMessage(), e);
            }
        }
        if (gate != null && memory == NO_MEMORY) {
            throw new IllegalArgumentException("variant '" + text + "': gate:Q is the patch memory's gate: it needs "
                    + "memory:R");
        }
        if (motionMemory && (memory == NO_MEMORY || weight == 0)) {
            throw new IllegalArgumentException("variant '" + text + "': motion-memory is the motion stream's patch "
                    + "memory: it needs memory:R and motion:W");
        }
        if (extremes && score.isMax()) {
            throw new IllegalArgumentException("variant '" + text + "': evt standardises the patch grid per "
                    + "position: it needs a patch score, top:F or region:F");
        }
        return new ScoringVariant(t, weight, score, pooling, memory, gate == null ? Scoring.DEFAULT_GATE : gate,
                motionMemory, extremes);
    }

    private static double quantile(String text, String q) {
        try {
            double quantile = Double.parseDouble(q);
            if (quantile >= 0 && quantile < 1) {
                return quantile;
            }
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("variant '" + text + "': gate:Q needs a quantile 0 <= Q < 1");
    }

    private static int radius(String text, String r) {
        try {
            int radius = Integer.parseInt(r);
            if (radius >= 0) {
                return radius;
            }
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("variant '" + text + "': memory:R needs a whole number of rows R >= 0");
    }

    private static double weight(String text, String w) {
        double weight;
        try {
            weight = Double.parseDouble(w);
        } catch (NumberFormatException e) {
            weight = Double.NaN;
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("variant '" + text + "': motion:W needs a positive weight W");
        }
        return weight;
    }

    public boolean usesMemory() {
        return memoryRadius != NO_MEMORY;
    }

    public boolean usesMotion() {
        return motionWeight > 0;
    }

    /** The model setting this variant is: what {@code train} would be given to fit and score this way. */
    public Scoring scoring() {
        return new Scoring(frameScore, motionWeight, pooling,
                usesMemory() ? new Scoring.Memory(memoryRadius, gateQuantile, motionMemory) : null);
    }
}
