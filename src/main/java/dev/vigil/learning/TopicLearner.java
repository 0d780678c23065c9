package dev.vigil.learning;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Provenance;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Fits a camera's model on its frames already on the frames topic: what {@code vigil learn}, {@code vigil autolearn}
 * and the scorer's own learning phase share. The frames are read from the topic as the fit takes them (two passes
 * through {@link CameraFrames}), so memory holds the accumulator and the held-back frames, whatever the count.
 */
public final class TopicLearner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicLearner.class);

    /** A model fitted and written. */
    public record Learnt(Path file, ModelInfo info, long undecodable) {
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
        String camera = selection.camera();
        long[] undecodable = {0};
        PadimModel model;
        try (CameraFrames.Frames frames = CameraFrames.read(kafka, selection)) {
            model = new Trainer(backbone, preprocessing, options, rule).fit(decoded(camera, frames, undecodable));
        }
        ModelInfo fitted = model.info();
        model = new PadimModel(fitted.withProvenance(new Provenance("learn", camera,
                List.of(Topics.FRAMES.name() + " partition " + selection.partition()),
                fitted.trainingFrames() + fitted.threshold().frames(), Instant.ofEpochMilli(selection.firstMillis()),
                Instant.ofEpochMilli(selection.lastMillis()), String.join(",", selection.codecs()), sampleFps, 0)),
                model.gaussian());
        try {
            ModelFile.write(out, model);
        } finally {
            model.gaussian().close();
        }
        return new Learnt(out, model.info(), undecodable[0]);
    }

    /** Frames decoded one at a time as they are taken; one that does not decode is skipped and counted. */
    public static Iterator<RgbImage> decoded(String camera, Iterator<FrameRecords.Frame> frames, long[] undecodable) {
        return new Iterator<>() {
            RgbImage next = advance();

            private RgbImage advance() {
                while (frames.hasNext()) {
                    FrameRecords.Frame f = frames.next();
                    try {
                        return FrameCodec.decode(f.image());
                    } catch (IOException e) {
                        if (undecodable[0]++ == 0) {
                            LOG.warn("camera {}: frame {} skipped: {}", camera, f.seq(), e.getMessage());
                        }
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public RgbImage next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                RgbImage out = next;
                next = advance();
                return out;
            }
        };
    }
}
