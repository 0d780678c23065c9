package dev.vigil.padim;

import java.time.Instant;
import java.util.Objects;

/**
 * Everything needed to reproduce and check a fitted PaDiM model, besides the Gaussians themselves, grouped by what
 * each part is for. The flat accessors ({@link #inputWidth()}, {@link #channelIndices()}, ...) read through the
 * groups, so code that needs one field need not know which group holds it.
 *
 * @param backbone  what the features were extracted with: what a running pipeline must match
 * @param embedding the patch grid and the channels kept of it
 * @param fit       how the Gaussians were fitted
 * @param threshold held-back normal score statistics and the default threshold
 * @param scoring   how a frame's score is taken from the patch distances
 * @param origin    when, for whom and from what frames the model was made
 */
public record ModelInfo(Backbone backbone, Embedding embedding, Fit fit, ThresholdStats threshold,
                        FrameScoring scoring, Origin origin) {

    /**
     * @param name          the backbone manifest's name
     * @param sha256        sha256 of the ONNX file the model was fitted with
     * @param layerChannels channels of each backbone output used, layer 1 first
     * @param preprocessing "resize" or "resize-crop"
     * @param inputWidth    backbone input width in pixels (the anomaly map's width)
     * @param inputHeight   backbone input height in pixels
     */
    public record Backbone(String name, String sha256, int[] layerChannels, String preprocessing, int inputWidth,
                           int inputHeight) {
    }

    /**
     * @param gridWidth      patch grid width (layer 1's)
     * @param gridHeight     patch grid height
     * @param channelIndices the kept channels, indices into the concatenated layers (d of them)
     * @param seed           seed the channel indices were drawn with
     */
    public record Embedding(int gridWidth, int gridHeight, int[] channelIndices, long seed) {
        public int positions() {
            return gridWidth * gridHeight;
        }

        public int features() {
            return channelIndices.length;
        }
    }

    /**
     * @param eps            regularisation added to each covariance's diagonal
     * @param trainingFrames frames the Gaussians were fitted on
     */
    public record Fit(double eps, long trainingFrames) {
    }

    /**
     * @param frameScore how the frame score is taken from the patch distances ({@code max}: the paper's)
     * @param motion     how the motion stream is blended in, or null for a model without one (the paper's)
     * @param memory     how the patch memory may call patches normal, or null for a model without one (the paper's)
     * @param motionMemory how the motion stream's patch memory may call patches' movement normal (on the motion
     *                     distances, its scales the motion stream's), or null for none
     */
    public record FrameScoring(FrameScore frameScore, MotionBlend motion, MemoryBlend memory,
                               MemoryBlend motionMemory) {
        public static final FrameScoring PLAIN = new FrameScoring(FrameScore.MAX, null, null, null);

        public FrameScoring {
            if (frameScore == null) {
                frameScore = FrameScore.MAX;
            }
        }

        /** Without a patch memory. */
        public FrameScoring(FrameScore frameScore, MotionBlend motion) {
            this(frameScore, motion, null, null);
        }

        /** Without a motion stream's memory. */
        public FrameScoring(FrameScore frameScore, MotionBlend motion, MemoryBlend memory) {
            this(frameScore, motion, memory, null);
        }
    }

    /**
     * @param created    creation time
     * @param label      camera id or free label
     * @param provenance where the frames came from, or null for models written before provenance was recorded
     */
    public record Origin(Instant created, String label, Provenance provenance) {
    }

    public ModelInfo {
        Objects.requireNonNull(backbone, "backbone");
        Objects.requireNonNull(embedding, "embedding");
        Objects.requireNonNull(fit, "fit");
        Objects.requireNonNull(origin, "origin");
        if (scoring == null) {
            scoring = FrameScoring.PLAIN;
        }
    }

    public String backboneName() {
        return backbone.name();
    }

    public String backboneSha256() {
        return backbone.sha256();
    }

    public int[] layerChannels() {
        return backbone.layerChannels();
    }

    public String preprocessing() {
        return backbone.preprocessing();
    }

    public int inputWidth() {
        return backbone.inputWidth();
    }

    public int inputHeight() {
        return backbone.inputHeight();
    }

    public int gridWidth() {
        return embedding.gridWidth();
    }

    public int gridHeight() {
        return embedding.gridHeight();
    }

    public int[] channelIndices() {
        return embedding.channelIndices();
    }

    public long seed() {
        return embedding.seed();
    }

    public int features() {
        return embedding.features();
    }

    public int positions() {
        return embedding.positions();
    }

    public double eps() {
        return fit.eps();
    }

    public long trainingFrames() {
        return fit.trainingFrames();
    }

    public FrameScore frameScore() {
        return scoring.frameScore();
    }

    public MotionBlend motion() {
        return scoring.motion();
    }

    public boolean hasMotion() {
        return scoring.motion() != null;
    }

    public MemoryBlend memory() {
        return scoring.memory();
    }

    public boolean hasMemory() {
        return scoring.memory() != null;
    }

    public Instant created() {
        return origin.created();
    }

    public String label() {
        return origin.label();
    }

    public Provenance provenance() {
        return origin.provenance();
    }

    public ModelInfo withThreshold(ThresholdStats stats) {
        return new ModelInfo(backbone, embedding, fit, stats, scoring, origin);
    }

    public ModelInfo withProvenance(Provenance p) {
        return new ModelInfo(backbone, embedding, fit, threshold, scoring,
                new Origin(origin.created(), origin.label(), p));
    }

    /** A copy stamped with a new creation time (a calibrated model is a new version of the same Gaussians). */
    public ModelInfo withCreated(Instant when) {
        return new ModelInfo(backbone, embedding, fit, threshold, scoring,
                new Origin(when, origin.label(), origin.provenance()));
    }

    /** A copy whose frame score is taken as {@code f} says (its threshold must then be re-derived by the caller). */
    public ModelInfo withFrameScore(FrameScore f) {
        return new ModelInfo(backbone, embedding, fit, threshold, new FrameScoring(f, scoring.motion(), scoring.memory(),
                scoring.motionMemory()),
                origin);
    }

    /** A copy with (or, given null, without) a motion stream. */
    public ModelInfo withMotion(MotionBlend m) {
        return new ModelInfo(backbone, embedding, fit, threshold, new FrameScoring(scoring.frameScore(), m, scoring.memory(),
                m == null ? null : scoring.motionMemory()), origin);
    }

    /** A copy with (or, given null, without) a patch memory. */
    public ModelInfo withMemory(MemoryBlend m) {
        return new ModelInfo(backbone, embedding, fit, threshold, new FrameScoring(scoring.frameScore(),
                scoring.motion(), m, scoring.motionMemory()), origin);
    }

    /** A copy with (or, given null, without) a patch memory of the motion stream. */
    public ModelInfo withMotionMemory(MemoryBlend m) {
        return new ModelInfo(backbone, embedding, fit, threshold, new FrameScoring(scoring.frameScore(),
                scoring.motion(), scoring.memory(), m), origin);
    }

    public MemoryBlend motionMemory() {
        return scoring.motionMemory();
    }

    /** A copy fitted on {@code frames} frames (partial fits merged into one). */
    public ModelInfo withTrainingFrames(long frames) {
        return new ModelInfo(backbone, embedding, new Fit(fit.eps(), frames), threshold, scoring, origin);
    }
}
