package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.ChannelSelection;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.EmbeddingRows;
import dev.vigil.padim.FrameDifferences;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.GaussianAccumulator;
import dev.vigil.padim.GaussianSums;
import dev.vigil.padim.GaussianModel;
import dev.vigil.padim.MemoryBlend;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PartialFit;
import dev.vigil.padim.MotionBlend;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PatchMemory;
import dev.vigil.padim.Scoring;
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
    private final Scoring scoring;

    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options) {
        this(backbone, preprocessing, options, ThresholdRule.DEFAULT);
    }

    /** @param rule how the threshold is derived from the held-back frames' scores */
    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options, ThresholdRule rule) {
        this(backbone, preprocessing, options, rule, FrameScore.MAX);
    }

    /** @param frameScore how the model scores frames; the threshold is learnt on that score */
    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options, ThresholdRule rule,
                   FrameScore frameScore) {
        this(backbone, preprocessing, options, rule, Scoring.of(frameScore));
    }

    /** @param scoring how the model scores frames, with or without a motion stream; the threshold is learnt on that */
    public Trainer(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions options, ThresholdRule rule,
                   Scoring scoring) {
        this.backbone = backbone;
        this.preprocessing = preprocessing;
        this.options = options;
        this.rule = rule;
        this.scoring = scoring;
    }

    /** Fits on frames of one sequence (each follows the one before it: a video, a camera's stream). */
    public PadimModel fit(Iterator<RgbImage> frames) {
        return fitSequence(new Iterator<>() {
            boolean first = true;

            @Override
            public boolean hasNext() {
                return frames.hasNext();
            }

            @Override
            public SequenceFrame next() {
                SequenceFrame f = SequenceFrame.of(frames.next(), !first);
                first = false;
                return f;
            }
        });
    }

    /** What one streaming pass leaves: the fitted sums, and the frames held back for the threshold. */
    private record Accumulated(FeatureExtractor extractor, int[] channels, GaussianSums accumulator,
                               GaussianAccumulator motionFit, PatchMemory memory, PatchMemory motionMemory,
                               List<SequenceFrame> heldOut, int seen, int held) {
    }

    /** The streaming pass: every frame embedded once and added to the sums, or held back. */
    private Accumulated accumulate(Iterator<SequenceFrame> frames) {
        int total = backbone.manifest().totalChannels();
        int[] channels = ChannelSelection.random(total, options.features(), options.seed());
        FeatureExtractor extractor = new FeatureExtractor(backbone, preprocessing, channels);
        var embeddings = extractor.embeddings();
        boolean motion = scoring.usesMotion();
        // the patch memory samples the fitted frames' embeddings
        PatchMemory.Sampler sampler = scoring.usesMemory() ? new PatchMemory.Sampler(embeddings.gridWidth(),
                embeddings.gridHeight(), embeddings.features(), PatchMemory.POOL_PER_ROW, options.seed()) : null;
        // and the motion memory the fitted pairs' differences
        PatchMemory.Sampler motionSampler = motion && scoring.usesMemory() && scoring.memory().motion()
                ? new PatchMemory.Sampler(embeddings.gridWidth(), embeddings.gridHeight(), embeddings.features(),
                PatchMemory.POOL_PER_ROW, options.seed() + 1) : null;
        boolean rows = motion || sampler != null;
        // a plain fit is fed the backbone's planes and keeps its sums per cell where it can (a quarter of the memory
        // per frame in flight, half for the sums); frame differences are taken on layer 1's grid
        GaussianSums accumulator = rows ? new GaussianAccumulator(embeddings.positions(), embeddings.features())
                : GaussianSums.forPlanes(embeddings);
        GaussianAccumulator motionFit = motion
                ? new GaussianAccumulator(embeddings.positions(), embeddings.features()) : null;
        FrameDifferences differences = motion ? new FrameDifferences(embeddings.positions(), embeddings.features())
                : null;
        // held-back frames in order, each block led (with a motion stream) by the fitted frame before it
        List<SequenceFrame> heldOut = new ArrayList<>();
        int[] seen = {0};
        int[] held = {0};
        Iterator<SequenceFrame> toFit = new Iterator<>() {
            RgbImage last;
            boolean lastHeld;
            SequenceFrame next = advance();

            private SequenceFrame advance() {
                while (frames.hasNext()) {
                    SequenceFrame source = frames.next();
                    RgbImage frame = extractor.prepare(source.image());
                    boolean holdOut = options.heldOut(seen[0], held[0]);
                    seen[0]++;
                    // a frame follows the one before it in the fit (or in a held-back block) only when that one is
                    // there too
                    boolean follows = source.follows() && lastHeld == holdOut;
                    if (holdOut && motion && !lastHeld && source.follows() && last != null) {
                        heldOut.add(new SequenceFrame(last, false, true));
                        follows = true;
                    }
                    RgbImage previous = last;
                    last = frame;
                    lastHeld = holdOut;
                    if (holdOut) {
                        heldOut.add(SequenceFrame.of(frame, follows));
                        held[0]++;
                    } else {
                        return SequenceFrame.of(frame, follows && previous != null);
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
                SequenceFrame out = next;
                next = advance();
                return out;
            }
        };
        record Embedded(boolean[] follows, EmbeddingRows batch) {
        }
        FitStage stage = new FitStage(accumulator, extractor, options.batchSize(), options.maxGroupFrames(),
                rows ? extractor.embeddingBytes() : extractor.planeBytes());
        long[] logged = {0};
        long[] fitted = {0};
        long[] fittedPairs = {0};
        Pipeline.run(new Batches<>(toFit, options.batchSize()), (List<SequenceFrame> part) -> {
            boolean[] follows = new boolean[part.size()];
            List<RgbImage> images = new ArrayList<>(part.size());
            for (int i = 0; i < follows.length; i++) {
                follows[i] = part.get(i).follows();
                images.add(part.get(i).image());
            }
            return new Embedded(follows, rows ? extractor.embed(images) : extractor.embedPlanes(images));
        }, (Embedded embedded) -> {
            EmbeddingRows batch = embedded.batch();
            if (sampler != null) {
                // before the stage takes the batch; every n-th fitted frame, so the pools cover the whole footage
                for (int b = 0; b < embedded.follows().length; b++) {
                    if (fitted[0]++ % PatchMemory.OFFER_EVERY == 0) {
                        sampler.add((EmbeddingBatch) batch, b);
                    }
                }
            }
            if (motion) {
                // before the stage takes the batch: it recycles it once merged
                int n = embedded.follows().length;
                boolean[] valid = new boolean[n];
                EmbeddingBatch diff = differences.next((EmbeddingBatch) batch, 0, n, embedded.follows(), valid);
                EmbeddingBatch pairs = diff.images(valid, n);
                if (pairs.batch() > 0) {
                    motionFit.add(pairs, pairs.batch());
                    if (motionSampler != null) {
                        for (int b = 0; b < pairs.batch(); b++) {
                            if (fittedPairs[0]++ % PatchMemory.OFFER_EVERY == 0) {
                                motionSampler.add(pairs, b);
                            }
                        }
                    }
                }
            }
            stage.accept(batch);
            if (accumulator.count() >= logged[0] + options.batchSize() * 10L) {
                logged[0] = accumulator.count();
                LOG.info("fitted {} frames", accumulator.count());
            }
        });
        stage.flush();
        if (accumulator.count() < 2) {
            throw new IllegalArgumentException("fitting needs at least 2 normal frames, got " + accumulator.count()
                    + " (plus " + held[0] + " held back)");
        }
        if (motion && motionFit.count() < 2) {
            throw new IllegalArgumentException("the motion stream needs at least 2 pairs of consecutive frames (video "
                    + "frames of one clip, or a camera's consecutive frames), got " + motionFit.count());
        }
        PatchMemory memory = null;
        if (sampler != null) {
            memory = sampler.coreset(PatchMemory.PER_ROW);
            LOG.info("patch memory: {} patches ({} per grid row) kept of {} offered", memory.size(), memory.perRow(),
                    sampler.offered());
        }
        PatchMemory motionMemory = null;
        if (motionSampler != null && motionSampler.offered() > 0) {
            motionMemory = motionSampler.coreset(PatchMemory.PER_ROW);
            LOG.info("motion memory: {} patches ({} per grid row) kept of {} offered", motionMemory.size(),
                    motionMemory.perRow(), motionSampler.offered());
        }
        return new Accumulated(extractor, channels, accumulator, motionFit, memory, motionMemory, heldOut, seen[0],
                held[0]);
    }

    /**
     * A partial fit (plain PaDiM): the running sums of one share of the frames, nothing held back and nothing
     * finished, to be merged with the other shares' ({@link PartialFit#merge}) into one model.
     */
    public PartialFit fitPartial(Iterator<SequenceFrame> frames) {
        if (scoring.usesMotion() || scoring.usesMemory()) {
            throw new IllegalArgumentException("partial fits are of the appearance Gaussians only: fit a model with a "
                    + "motion stream or a patch memory in one pass");
        }
        if (options.holdOutEvery() != 0) {
            return new Trainer(backbone, preprocessing, options.withoutHoldOut(), rule, scoring).fitPartial(frames);
        }
        Accumulated a = accumulate(frames);
        return new PartialFit(describe(a.extractor(), a.channels(), a.accumulator().count()),
                a.accumulator().toAccumulator());
    }

    private ModelInfo describe(FeatureExtractor extractor, int[] channels, long frames) {
        var embeddings = extractor.embeddings();
        return new ModelInfo(
                new ModelInfo.Backbone(backbone.manifest().name(), backbone.sha256(),
                        backbone.manifest().outputs().stream().mapToInt(o -> o.channels()).toArray(),
                        preprocessing.mode().label(), preprocessing.width(), preprocessing.height()),
                new ModelInfo.Embedding(embeddings.gridWidth(), embeddings.gridHeight(), channels, options.seed()),
                new ModelInfo.Fit(options.eps(), frames), ThresholdStats.none(),
                new ModelInfo.FrameScoring(scoring.frameScore(), null),
                new ModelInfo.Origin(Instant.now(), options.label(), null));
    }

    /** The Gaussians of the sums, pooled over neighbouring positions when the scoring asks for it. */
    private GaussianModel finish(GaussianSums sums, FeatureExtractor extractor) {
        if (scoring.pooling().isNone()) {
            return sums.finish(options.eps(), true);
        }
        var grid = extractor.embeddings();
        LOG.info("pooling the Gaussians over neighbouring positions (sigma {} patches)", scoring.pooling());
        return scoring.pooling().finish(sums, options.eps(), grid.gridWidth(), grid.gridHeight());
    }

    /**
     * A fitted model, and its held-back frames' distances under it (null when none were held back): what the
     * threshold of other scoring settings of the same Gaussians is learnt from.
     */
    public record Fitted(PadimModel model, HeldBackScores heldBack) {
    }

    /**
     * Fits on frames of one or more sequences. With a motion stream, its Gaussians are fitted on the differences of
     * the frames that follow another fitted frame; each held-back block is scored as a sequence after the frame
     * before it, and the blend's scales are learnt from those frames ({@link HeldBackScores}).
     */
    public PadimModel fitSequence(Iterator<SequenceFrame> frames) {
        return fitWithHeldBack(frames).model();
    }

    /** As {@link #fitSequence}, keeping the held-back frames' distances. */
    public Fitted fitWithHeldBack(Iterator<SequenceFrame> frames) {
        Accumulated a = accumulate(frames);
        boolean motion = scoring.usesMotion();
        GaussianSums accumulator = a.accumulator();
        GaussianAccumulator motionFit = a.motionFit();
        GaussianModel gaussian = finish(accumulator, a.extractor());
        GaussianModel motionGaussian = motion ? finish(motionFit, a.extractor()) : null;
        ModelInfo info = describe(a.extractor(), a.channels(), accumulator.count())
                // scales of 1 until the held-back frames give them (here, or the caller's when it holds frames back)
                .withMotion(motion ? new MotionBlend(scoring.motionWeight(), 1, 1, motionFit.count()) : null)
                .withMemory(a.memory() == null ? null : MemoryBlend.unscaled(scoring.memory().radius(),
                        scoring.memory().gateQuantile(), a.memory().perRow()))
                .withMotionMemory(a.motionMemory() == null ? null : MemoryBlend.unscaled(scoring.memory().radius(),
                        scoring.memory().gateQuantile(), a.motionMemory().perRow()));
        PadimModel model = new PadimModel(info, gaussian, motionGaussian, a.memory(), a.motionMemory());
        if (motion) {
            LOG.info("motion stream: {} consecutive pairs fitted", motionFit.count());
        }
        if (options.holdOutEvery() == 0) {
            // asked for: the caller derives the threshold
            return new Fitted(model.with(info.withThreshold(ThresholdStats.none().withRule(rule))), null);
        }
        String firstBlock = options.holdOutEvery() * (options.holdOutEvery() - 1) + "-"
                + (options.holdOutEvery() * options.holdOutEvery() - 1);
        if (a.held() == 0) {
            if (motion || model.hasMemory()) {
                // a motion stream's and a memory's scales are learnt from held-back frames: without any, the
                // appearance alone
                LOG.warn("{} frames are too few to hold any back (the first block is frames {}): the scales of the "
                        + "motion stream or the patch memory cannot be learnt, so the model has neither", a.seen(),
                        firstBlock);
                if (motion) {
                    motionGaussian.close();
                }
                info = info.withMotion(null).withMemory(null).withMotionMemory(null);
                model = new PadimModel(info, gaussian);
            }
            LOG.warn("too few training frames to hold any back (the first block is frames {}): the model has no "
                    + "default threshold; set one with --threshold", firstBlock);
            return new Fitted(model.with(info.withThreshold(ThresholdStats.none().withRule(rule))), null);
        }
        HeldBackScores held;
        // every patch asked of the memory: its scale is the mean over all of them
        try (Detector detector = new Detector(a.extractor(), model, true)) {
            held = HeldBackScores.of(detector, a.heldOut().iterator(), true, options.batchSize());
            if (motion) {
                info = info.withMotion(held.blend(scoring.motionWeight(), motionFit.count()));
                LOG.info("blend scales {} (appearance) and {} (motion)", info.motion().appearanceScale(),
                        info.motion().motionScale());
            }
            if (model.motionMemory() != null) {
                info = info.withMotionMemory(held.motionMemoryBlend(info.motionMemory()));
                LOG.info("motion memory: scales {} (motion) and {} (memory), gate {} (quantile {})",
                        info.motionMemory().appearanceScale(), info.motionMemory().memoryScale(),
                        info.motionMemory().gate(), info.motionMemory().gateQuantile());
            }
            if (model.hasMemory()) {
                info = info.withMemory(held.memoryBlend(info.memory()));
                LOG.info("patch memory: scales {} (appearance) and {} (memory), gate {} (quantile {})",
                        info.memory().appearanceScale(), info.memory().memoryScale(), info.memory().gate(),
                        info.memory().gateQuantile());
            }
            info = info.withThreshold(held.threshold(detector, info.scoring(), rule));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        LOG.info("fitted {} frames; threshold {} from {} held-back frames", accumulator.count(),
                info.threshold().threshold(), info.threshold().frames());
        return new Fitted(model.with(info), held);
    }
}
