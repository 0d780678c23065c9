package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.ChannelSelection;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.GaussianAccumulator;
import dev.vigil.padim.GaussianModel;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Fits a PaDiM model on normal frames in one streaming pass: memory holds the accumulator, a few batches
 * ({@link FitStage}) and the held-back frames (at most {@link FitOptions#maxHeldOut()}), never the training set.
 * Every n-th block of n frames is held back and scored by the fitted model to learn the default threshold.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final OnnxBackbone backbone;
    private final Preprocessing preprocessing;
    private final FitOptions options;
    private final ThresholdRule rule;

    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options) {
        this(backbone, preprocessing, options, ThresholdRule.DEFAULT);
    }

    /** @param rule how the threshold is derived from the held-back frames' scores */
    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options, ThresholdRule rule) {
        this.backbone = backbone;
        this.preprocessing = preprocessing;
        this.options = options;
        this.rule = rule;
    }

    public PadimModel fit(Iterator<RgbImage> frames) {
        int total = backbone.manifest().totalChannels();
        int[] channels = ChannelSelection.random(total, options.features(), options.seed());
        FeatureExtractor extractor = new FeatureExtractor(backbone, preprocessing, channels);
        var embeddings = extractor.embeddings();
        GaussianAccumulator accumulator = new GaussianAccumulator(embeddings.positions(), embeddings.features());
        List<RgbImage> heldOut = new ArrayList<>();
        int[] seen = {0};
        Iterator<RgbImage> toFit = new Iterator<>() {
            RgbImage next = advance();

            private RgbImage advance() {
                while (frames.hasNext()) {
                    RgbImage frame = extractor.prepare(frames.next());
                    boolean holdOut = options.heldOut(seen[0], heldOut.size());
                    seen[0]++;
                    if (holdOut) {
                        heldOut.add(frame);
                    } else {
                        return frame;
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
                RgbImage out = next;
                next = advance();
                return out;
            }
        };
        FitStage stage = new FitStage(accumulator, extractor, options.batchSize(), options.maxGroupFrames());
        long[] logged = {0};
        Pipeline.run(new Batches<>(toFit, options.batchSize()), extractor::embed, (EmbeddingBatch batch) -> {
            stage.accept(batch);
            if (accumulator.count() >= logged[0] + options.batchSize() * 10L) {
                logged[0] = accumulator.count();
                LOG.info("fitted {} frames", accumulator.count());
            }
        });
        stage.flush();
        if (accumulator.count() < 2) {
            throw new IllegalArgumentException("fitting needs at least 2 normal frames, got " + accumulator.count()
                    + " (plus " + heldOut.size() + " held back)");
        }
        GaussianModel gaussian = accumulator.finish(options.eps(), true);
        ModelInfo info = new ModelInfo(backbone.manifest().name(), backbone.sha256(),
                backbone.manifest().outputs().stream().mapToInt(o -> o.channels()).toArray(),
                preprocessing.mode().label(), preprocessing.width(), preprocessing.height(),
                embeddings.gridWidth(), embeddings.gridHeight(), channels, options.seed(), options.eps(),
                accumulator.count(), ThresholdStats.none(), Instant.now(), options.label());
        PadimModel model = new PadimModel(info, gaussian);
        ThresholdStats threshold = threshold(model, heldOut);
        LOG.info("fitted {} frames; threshold {} from {} held-back frames", accumulator.count(),
                threshold.threshold(), threshold.frames());
        return new PadimModel(info.withThreshold(threshold), gaussian);
    }

    private ThresholdStats threshold(PadimModel model, List<RgbImage> heldOut) {
        if (options.holdOutEvery() == 0) {
            // asked for: the caller derives the threshold
            return ThresholdStats.none().withRule(rule);
        }
        if (heldOut.isEmpty()) {
            LOG.warn("too few training frames to hold any back (the first block is frames {}-{}): the model has no "
                    + "default threshold; set one with --threshold", options.holdOutEvery() * (options.holdOutEvery() - 1),
                    options.holdOutEvery() * options.holdOutEvery() - 1);
            return ThresholdStats.none().withRule(rule);
        }
        double[] scores = new double[heldOut.size()];
        int[] i = {0};
        try (Detector detector = new Detector(backbone, model)) {
            detector.scoreAllPrepared(heldOut.iterator(), options.batchSize(), f -> f,
                    (f, d) -> scores[i[0]++] = d.score());
        }
        return ThresholdStats.fromNormalScores(scores, rule);
    }
}
