package dev.vigil.learning;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.engine.HeldBackScores;
import dev.vigil.engine.SequenceFrame;
import dev.vigil.padim.FrameContinuity;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Provenance;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Fits a camera's model on its frames already on the frames topic: what {@code vigil learn}, {@code vigil autolearn}
 * and the scorer's own learning phase share. The frames are read from the topic as the fit takes them
 * ({@link CameraFrames}), and the held-back frames are read again to score them once the fit is done, so memory holds
 * the accumulator and a few batches, whatever the count.
 */
public final class TopicLearner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicLearner.class);

    /**
     * A model fitted and written.
     *
     * @param fitSeconds       reading, decoding, the backbone and the Gaussians' fit (and their finish)
     * @param thresholdSeconds reading and scoring the held-back frames
     * @param writeSeconds     writing the model file
     */
    public record Learnt(Path file, ModelInfo info, long undecodable, double fitSeconds, double thresholdSeconds,
                         double writeSeconds) {
    }

    private final OnnxBackbone backbone;
    private final KafkaConnection kafka;

    /** @param backbone shared with whoever else runs it (an ONNX Runtime session takes concurrent runs) */
    public TopicLearner(OnnxBackbone backbone, KafkaConnection kafka) {
        this.backbone = backbone;
        this.kafka = kafka;
    }

    public OnnxBackbone backbone() {
        return backbone;
    }

    /**
     * Fits on the selected frames and writes the model, with its learn provenance, to {@code out}.
     *
     * @param sampleFps the sampling the selection used, recorded in the provenance
     */
    public Learnt fit(CameraFrames.Selection selection, Preprocessing preprocessing, FitOptions options,
                      ThresholdRule rule, double sampleFps, Path out) throws IOException {
        return fit(selection, preprocessing, options, rule, Scoring.PLAIN, sampleFps, out);
    }

    /**
     * @param scoring how the model scores frames (its threshold is learnt on that score). With a motion stream and
     *                sampled frames, each sampled frame is fitted together with the camera's frame right before it
     *                ({@link CameraFrames.Selection#withPredecessors}): sampled frames do not follow each other, and
     *                the motion stream is scored on frames that do.
     */
    public Learnt fit(CameraFrames.Selection selection, Preprocessing preprocessing, FitOptions options,
                      ThresholdRule rule, Scoring scoring, double sampleFps, Path out) throws IOException {
        String camera = selection.camera();
        CameraFrames.Selection sampled = selection;
        if (scoring.usesMotion() && sampleFps > 0) {
            selection = selection.withPredecessors();
        }
        if ((scoring.usesMotion() || scoring.usesMemory()) && !options.holdsBackAny(selection.size())) {
            // a motion stream's and a memory's scales are learnt from held-back frames, and none would be held back
            LOG.warn("camera {}: {} frames are too few to hold any back: the scales of the motion stream or the patch "
                    + "memory cannot be learnt, so the model has neither", camera, selection.size());
            scoring = scoring.withoutMotion().withoutMemory();
            selection = sampled;
        }
        if (scoring.usesMotion() && sampleFps > 0) {
            LOG.info("camera {}: motion stream: {} frames with the frames right before the sampled ones", camera,
                    selection.size());
        }
        // the held-back frames are chosen by position, as Trainer does, but stay on the topic: they are read again
        // once the Gaussians are fitted, so memory never holds them (500 decoded frames would be 75 MB at 224x224)
        long[] offsets = selection.offsets();
        long[] fitOffsets = new long[offsets.length];
        long[] heldOffsets = new long[Math.min(offsets.length, options.maxHeldOut())];
        // with a motion stream, each held-back block is scored after the frame before it, as Trainer does
        java.util.TreeSet<Long> references = new java.util.TreeSet<>();
        int fitCount = 0;
        int held = 0;
        boolean lastHeld = false;
        for (int i = 0; i < offsets.length; i++) {
            if (options.heldOut(i, held)) {
                if (!lastHeld && i > 0 && scoring.usesMotion()) {
                    references.add(offsets[i - 1]);
                }
                heldOffsets[held++] = offsets[i];
                lastHeld = true;
            } else {
                fitOffsets[fitCount++] = offsets[i];
                lastHeld = false;
            }
        }
        long[] undecodable = {0};
        long t0 = System.nanoTime();
        PadimModel model;
        try (CameraFrames.Frames frames = CameraFrames.read(kafka, selection.with(Arrays.copyOf(fitOffsets, fitCount)))) {
            Trainer trainer = new Trainer(backbone, preprocessing, options.withoutHoldOut(), rule, scoring);
            model = scoring.usesMotion() ? trainer.fitSequence(sequence(camera, frames, undecodable, o -> false))
                    : trainer.fit(decoded(camera, frames, undecodable));
        }
        long t1 = System.nanoTime();
        try {
            ModelInfo fitted = heldBackThreshold(model, selection, Arrays.copyOf(heldOffsets, held), references,
                    options, rule, undecodable);
            ThresholdStats threshold = fitted.threshold();
            LOG.info("camera {}: fitted {} frames; threshold {} from {} held-back frames", camera,
                    fitted.trainingFrames(), threshold.threshold(), threshold.frames());
            PadimModel learnt = model.with(fitted.withProvenance(new Provenance("learn", camera,
                    List.of(Topics.FRAMES.name() + " partition " + selection.partition()),
                    fitted.trainingFrames() + threshold.frames(), Instant.ofEpochMilli(selection.firstMillis()),
                    Instant.ofEpochMilli(selection.lastMillis()), String.join(",", selection.codecs()), sampleFps, 0)));
            long t2 = System.nanoTime();
            ModelFile.write(out, learnt);
            return new Learnt(out, learnt.info(), undecodable[0], (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                    (System.nanoTime() - t2) / 1e9);
        } finally {
            model.close();
        }
    }

    /**
     * The held-back frames, read again in order (with a motion stream, each block after its reference frame), scored
     * ({@link HeldBackScores}): with a motion stream they give the blend's scales, and the threshold is learnt on
     * their scores.
     */
    private ModelInfo heldBackThreshold(PadimModel model, CameraFrames.Selection selection, long[] heldOffsets,
                                        java.util.TreeSet<Long> references, FitOptions options, ThresholdRule rule,
                                        long[] undecodable) {
        String firstBlock = options.holdOutEvery() * (options.holdOutEvery() - 1) + "-"
                + (options.holdOutEvery() * options.holdOutEvery() - 1);
        ModelInfo info = model.info();
        if (heldOffsets.length == 0) {
            if (model.hasMotion()) {
                throw new IllegalArgumentException("camera " + selection.camera() + ": a model with a motion stream "
                        + "learns its scales from held-back frames, and " + selection.size() + " frames are too few "
                        + "to hold any back (the first block is frames " + firstBlock + ")");
            }
            if (model.hasMemory()) {
                throw new IllegalArgumentException("camera " + selection.camera() + ": a model with a patch memory "
                        + "learns its scales from held-back frames, and " + selection.size() + " frames are too few "
                        + "to hold any back (the first block is frames " + firstBlock + ")");
            }
            LOG.warn("camera {}: too few frames to hold any back (the first block is frames {}): the model has no "
                    + "default threshold", selection.camera(), firstBlock);
            return info.withThreshold(ThresholdStats.none().withRule(rule));
        }
        java.util.TreeSet<Long> all = new java.util.TreeSet<>(references);
        for (long o : heldOffsets) {
            all.add(o);
        }
        try (CameraFrames.Frames frames = CameraFrames.read(kafka,
                selection.with(all.stream().mapToLong(Long::longValue).toArray()));
             // every patch asked of a patch memory: its scale is the mean over all of them
             Detector detector = new Detector(backbone, model, true)) {
            HeldBackScores held = HeldBackScores.of(detector,
                    sequence(selection.camera(), frames, undecodable, references::contains), false,
                    options.batchSize());
            if (held == null && (model.hasMotion() || model.hasMemory())) {
                throw new IllegalArgumentException("camera " + selection.camera() + ": none of the held-back frames "
                        + "decoded: the scales of the motion stream or the patch memory cannot be learnt");
            }
            if (held == null) {
                LOG.warn("camera {}: no held-back frame decoded: the model has no default threshold",
                        selection.camera());
                return info.withThreshold(ThresholdStats.none().withRule(rule));
            }
            if (model.hasMotion()) {
                info = info.withMotion(held.blend(info.motion().weight(), info.motion().trainingPairs()));
                LOG.info("camera {}: blend scales {} (appearance) and {} (motion)", selection.camera(),
                        info.motion().appearanceScale(), info.motion().motionScale());
            }
            if (model.motionMemory() != null) {
                info = info.withMotionMemory(held.motionMemoryBlend(info.motionMemory()));
            }
            if (model.hasMemory()) {
                info = info.withMemory(held.memoryBlend(info.memory()));
            }
            return info.withThreshold(held.threshold(detector, info.scoring(), rule));
        }
    }

    /**
     * Frames decoded one at a time as they are taken, each marked as following the one before it when it is the
     * camera's next frame with no gap in time ({@link FrameContinuity}); one that does not decode is skipped and
     * counted (the frame after it then follows nothing).
     *
     * @param reference whether the frame at an offset is only the predecessor of the next one
     */
    public static Iterator<SequenceFrame> sequence(String camera, CameraFrames.Frames frames, long[] undecodable,
                                                   java.util.function.LongPredicate reference) {
        FrameContinuity continuity = new FrameContinuity();
        return new Iterator<>() {
            SequenceFrame next = advance();

            private SequenceFrame advance() {
                while (frames.hasNext()) {
                    FrameRecords.Frame f = frames.next();
                    try {
                        RgbImage image = FrameCodec.decode(f.image());
                        return new SequenceFrame(image, continuity.next(f.seq(), f.captureMillis()),
                                reference.test(frames.offset()));
                    } catch (IOException e) {
                        if (undecodable[0]++ == 0) {
                            LOG.warn("camera {}: frame {} skipped: {}", camera, f.seq(), e.getMessage());
                        }
                        continuity.reset();
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public SequenceFrame next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                SequenceFrame out = next;
                next = advance();
                return out;
            }
        };
    }

    /** Frames decoded one at a time as they are taken; one that does not decode is skipped and counted. */
    static Iterator<RgbImage> decoded(String camera, CameraFrames.Frames frames, long[] undecodable) {
        Iterator<SequenceFrame> sequence = sequence(camera, frames, undecodable, offset -> false);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return sequence.hasNext();
            }

            @Override
            public RgbImage next() {
                return sequence.next().image();
            }
        };
    }
}
