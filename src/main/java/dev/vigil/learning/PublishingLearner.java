package dev.vigil.learning;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.topology.AutoLearning;
import dev.vigil.topology.CameraLearner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The scorer's learner: fits a camera's model on the frames its learning phase counted, re-read from the frames
 * topic, with the backbone the scorer runs, and publishes it as a new version. The model file is written to a
 * temporary folder and deleted once published: the models topic keeps it.
 */
public final class PublishingLearner implements CameraLearner {
    /** frames per backbone batch while fitting */
    public static final int BATCH = 32;
    /**
     * frames merged into the sums at once by a plain fit: six batches of the backbone's planes (9 MB each at 56x56,
     * d = 100) beside the 50 MB of per-cell sums keep a camera's learning well under 300 MB. A fit with a motion
     * stream takes its batches on layer 1's grid (40 MB each) and merges them one at a time.
     */
    public static final int GROUP_FRAMES = 6 * BATCH;

    private final TopicLearner learner;
    private final KafkaConnection kafka;
    private final Preprocessing preprocessing;
    private final int features;
    private final Function<String, ThresholdRule> rules;
    private final Scoring scoring;

    /**
     * @param features d of the learnt models, or 0 for the backbone's default
     * @param rules    each camera's threshold rule
     */
    public PublishingLearner(OnnxBackbone backbone, KafkaConnection kafka, Preprocessing preprocessing, int features,
                             Function<String, ThresholdRule> rules) {
        this(backbone, kafka, preprocessing, features, rules, Scoring.PLAIN);
    }

    /** @param scoring how learnt models score frames (frame score, motion stream) */
    public PublishingLearner(OnnxBackbone backbone, KafkaConnection kafka, Preprocessing preprocessing, int features,
                             Function<String, ThresholdRule> rules, Scoring scoring) {
        this.scoring = scoring;
        this.learner = new TopicLearner(backbone, kafka);
        this.kafka = kafka;
        this.preprocessing = preprocessing;
        this.features = features > 0 ? features : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
        this.rules = rules;
    }

    /**
     * How the scorer fits: seed 1, batches of {@link #BATCH}, merged {@link #GROUP_FRAMES} at a time (one at a time
     * with a motion stream), the usual hold-back.
     */
    public static FitOptions fitOptions(int features, String camera, Scoring scoring) {
        return new FitOptions(features, 1, FitOptions.DEFAULT_EPS, BATCH, FitOptions.DEFAULT_HOLD_OUT_EVERY,
                FitOptions.DEFAULT_MAX_HELD_OUT, camera, scoring.usesMotion() ? BATCH : GROUP_FRAMES);
    }

    @Override
    public long learn(String camera, int partition, long fromOffset, long toOffset, double sampleFps) throws Exception {
        CameraFrames.Selection selection = CameraFrames.select(kafka, camera, fromOffset, toOffset, sampleFps);
        if (selection.size() < AutoLearning.MIN_FRAMES) {
            throw new IllegalStateException("camera " + camera + " has " + selection.size() + " frame(s) left on the "
                    + "frames topic at offsets " + fromOffset + ".." + toOffset + " of partition " + partition
                    + " (retention?)");
        }
        FitOptions options = fitOptions(features, camera, scoring);
        Path dir = Files.createTempDirectory("vigil-learn-");
        Path file = dir.resolve("model.vgm");
        try {
            learner.fit(selection, preprocessing, options, rules.apply(camera), scoring, sampleFps, file);
            long version = System.currentTimeMillis();
            ModelPublisher.publish(kafka, camera, file, version, ModelChunks.DEFAULT_CHUNK_BYTES);
            return version;
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
