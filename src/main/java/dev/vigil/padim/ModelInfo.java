package dev.vigil.padim;

import java.time.Instant;

/**
 * Everything needed to reproduce and check a fitted PaDiM model, besides the Gaussians themselves.
 *
 * @param backboneName    the backbone manifest's name
 * @param backboneSha256  sha256 of the ONNX file the model was fitted with
 * @param layerChannels   channels of each backbone output used, layer 1 first
 * @param preprocessing   "resize" or "resize-crop"
 * @param inputWidth      backbone input width in pixels (the anomaly map's width)
 * @param inputHeight     backbone input height in pixels
 * @param gridWidth       patch grid width (layer 1's)
 * @param gridHeight      patch grid height
 * @param channelIndices  the kept channels, indices into the concatenated layers (d of them)
 * @param seed            seed the channel indices were drawn with
 * @param eps             regularisation added to each covariance's diagonal
 * @param trainingFrames  frames the Gaussians were fitted on
 * @param threshold       held-back normal score statistics and the default threshold
 * @param created         creation time
 * @param label           camera id or free label
 * @param provenance      where the frames came from, or null for models written before provenance was recorded
 * @param frameScore      how the frame score is taken from the patch distances ({@code max}: the paper's)
 * @param motion          how the motion stream is blended in, or null for a model without one (the paper's)
 */
public record ModelInfo(String backboneName, String backboneSha256, int[] layerChannels, String preprocessing,
                        int inputWidth, int inputHeight, int gridWidth, int gridHeight, int[] channelIndices,
                        long seed, double eps, long trainingFrames, ThresholdStats threshold, Instant created,
                        String label, Provenance provenance, FrameScore frameScore, MotionBlend motion) {
    public ModelInfo {
        if (frameScore == null) {
            frameScore = FrameScore.MAX;
        }
    }

    /** Without a motion stream. */
    public ModelInfo(String backboneName, String backboneSha256, int[] layerChannels, String preprocessing,
                     int inputWidth, int inputHeight, int gridWidth, int gridHeight, int[] channelIndices,
                     long seed, double eps, long trainingFrames, ThresholdStats threshold, Instant created,
                     String label, Provenance provenance, FrameScore frameScore) {
        this(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight, gridWidth, gridHeight,
                channelIndices, seed, eps, trainingFrames, threshold, created, label, provenance, frameScore, null);
    }

    /** With the paper's frame score. */
    public ModelInfo(String backboneName, String backboneSha256, int[] layerChannels, String preprocessing,
                     int inputWidth, int inputHeight, int gridWidth, int gridHeight, int[] channelIndices,
                     long seed, double eps, long trainingFrames, ThresholdStats threshold, Instant created,
                     String label, Provenance provenance) {
        this(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight, gridWidth, gridHeight,
                channelIndices, seed, eps, trainingFrames, threshold, created, label, provenance, FrameScore.MAX);
    }

    /** Without provenance (set it with {@link #withProvenance}). */
    public ModelInfo(String backboneName, String backboneSha256, int[] layerChannels, String preprocessing,
                     int inputWidth, int inputHeight, int gridWidth, int gridHeight, int[] channelIndices,
                     long seed, double eps, long trainingFrames, ThresholdStats threshold, Instant created,
                     String label) {
        this(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight, gridWidth, gridHeight,
                channelIndices, seed, eps, trainingFrames, threshold, created, label, null, FrameScore.MAX);
    }

    public int features() {
        return channelIndices.length;
    }

    public int positions() {
        return gridWidth * gridHeight;
    }

    public ModelInfo withThreshold(ThresholdStats stats) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, trainingFrames, stats, created, label, provenance,
                frameScore, motion);
    }

    public ModelInfo withProvenance(Provenance p) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, trainingFrames, threshold, created, label, p,
                frameScore, motion);
    }

    /** A copy stamped with a new creation time (a calibrated model is a new version of the same Gaussians). */
    public ModelInfo withCreated(Instant when) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, trainingFrames, threshold, when, label, provenance,
                frameScore, motion);
    }

    /** A copy whose frame score is taken as {@code f} says (its threshold must then be re-derived by the caller). */
    public ModelInfo withFrameScore(FrameScore f) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, trainingFrames, threshold, created, label, provenance,
                f, motion);
    }

    /** A copy with (or, given null, without) a motion stream. */
    public ModelInfo withMotion(MotionBlend m) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, trainingFrames, threshold, created, label, provenance,
                frameScore, m);
    }

    /** A copy fitted on {@code frames} frames (partial fits merged into one). */
    public ModelInfo withTrainingFrames(long frames) {
        return new ModelInfo(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth, inputHeight,
                gridWidth, gridHeight, channelIndices, seed, eps, frames, threshold, created, label, provenance,
                frameScore, motion);
    }

    public boolean hasMotion() {
        return motion != null;
    }
}
