package dev.vigil.evaluation;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detection;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.HeldBackScores;
import dev.vigil.engine.SequenceFrame;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.SourceFrame;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PatchDistances;
import dev.vigil.padim.PatchMemory;
import dev.vigil.padim.PositionExtremes;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.SpatialPooling;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's own fit ({@link Trainer}: the held-back blocks, the motion stream, the blend's scales) on some normal
 * clips, and other clips' frames scored under it by the engine's {@link Detector}, each clip a sequence as a camera's
 * stream is. Scoring variants that share the fitted Gaussians share one fit and one pass of the backbone: each takes
 * its own blend, its own threshold from the held-back frames and its own frame scores from the same patch distances.
 * What {@code eval --variants} and {@code eval --cross-validate} are built on.
 */
final class ClipFit implements AutoCloseable {
    /**
     * One clip's frames under the fit: both streams' distances (and the patch memory's, for every patch), and the
     * size its frames decode to (for masks).
     */
    record Clip(Path file, String name, PatchDistances distances, int width, int height) {
    }

    private final PadimModel model;
    private final HeldBackScores heldBack;
    private final Detector detector;
    private final FitOptions fit;
    private final FrameCodec codec;
    private final double fitSeconds;
    private long scoreNanos;
    private int scoredFrames;
    /** per gate quantile, its appearance distance among the held-back frames' */
    private final Map<Double, Double> gates = new java.util.HashMap<>();
    /** likewise among the held-back frames' motion distances */
    private final Map<Double, Double> motionGates = new java.util.HashMap<>();

    private ClipFit(PadimModel model, HeldBackScores heldBack, Detector detector, FitOptions fit, FrameCodec codec,
                    double fitSeconds) {
        this.model = model;
        this.heldBack = heldBack;
        this.detector = detector;
        this.fit = fit;
        this.codec = codec;
        this.fitSeconds = fitSeconds;
    }

    /**
     * Fits on the clips, in order, each frame following the one before it in its clip.
     *
     * @param variants the variants to be scored, all with the same pooling and patch memory (if any: variants without
     *                 one are scored without it): a motion stream is fitted when one of them blends it in, a memory
     *                 when one of them asks it ({@link #byFit})
     */
    static ClipFit fit(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions fit, FrameCodec codec,
                       List<Path> clips, List<ScoringVariant> variants) {
        SpatialPooling pooling = variants.get(0).pooling();
        if (variants.stream().anyMatch(v -> !v.pooling().equals(pooling))) {
            throw new IllegalArgumentException("variants of one fit share its pooling: group them by it");
        }
        int[] radii = variants.stream().filter(ScoringVariant::usesMemory).mapToInt(ScoringVariant::memoryRadius)
                .distinct().toArray();
        if (radii.length > 1) {
            throw new IllegalArgumentException("variants of one fit share its memory's row band: group them by it");
        }
        // the blend's weight is each variant's own; the fit needs one only to know that it fits the motion stream.
        // The memory is fitted ungated: each variant's gate is its own, on distances of every patch
        double weight = variants.stream().mapToDouble(ScoringVariant::motionWeight).max().orElse(0);
        Scoring.Memory memory = radii.length == 0 ? null : new Scoring.Memory(radii[0], 0,
                variants.stream().anyMatch(ScoringVariant::motionMemory));
        long start = System.nanoTime();
        Trainer.Fitted fitted = new Trainer(backbone, preprocessing, fit, ThresholdRule.DEFAULT,
                new Scoring(FrameScore.MAX, weight, pooling, memory))
                .fitWithHeldBack(SequenceFrame.fromSources(codec, MediaInputs.frames(clips)));
        if (fitted.heldBack() == null) {
            fitted.model().close();
            throw new IllegalArgumentException("the training clips are too few frames to hold any back: each variant "
                    + "learns its threshold from held-back frames");
        }
        PadimModel model = fitted.model();
        return new ClipFit(model, fitted.heldBack(), new Detector(backbone, model, true), fit, codec,
                (System.nanoTime() - start) / 1e9);
    }

    private static float[] concat(List<float[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Every frame of the clips, each clip a sequence of its own; the clips' distances in order. */
    List<Clip> score(List<Path> clips) {
        Map<String, List<PatchDistances>> parts = new LinkedHashMap<>();
        Map<String, int[]> sizes = new LinkedHashMap<>();
        SourceFrame[] previous = {null};
        long start = System.nanoTime();
        detector.distancesAll(MediaInputs.frames(clips), fit.batchSize(), f -> {
            sizes.putIfAbsent(f.source(), new int[]{f.image().width(), f.image().height()});
            return detector.extractor().prepare(FrameCodec.roundTrip(codec, f.image()));
        }, f -> {
            SourceFrame before = previous[0];
            previous[0] = f;
            return before != null && before.source().equals(f.source()) && f.index() == before.index() + 1;
        }, (batch, distances) -> {
            for (int i = 0; i < batch.size(); i++) {
                parts.computeIfAbsent(batch.get(i).source(), s -> new ArrayList<>()).add(distances.frame(i));
            }
        });
        scoreNanos += System.nanoTime() - start;
        List<Clip> out = new ArrayList<>();
        for (Path clip : clips) {
            List<PatchDistances> frames = parts.get(clip.toString());
            if (frames == null) {
                throw new IllegalStateException("clip " + clip + " decoded to no frames");
            }
            int[] size = sizes.get(clip.toString());
            out.add(new Clip(clip, name(clip), PatchDistances.concat(frames), size[0], size[1]));
            scoredFrames += frames.size();
        }
        return out;
    }

    /**
     * The variants grouped by what they fit, in order: one fit per pooling and memory row band. A variant without a
     * memory joins the first group of its pooling (its Gaussians are the same with or without one).
     */
    static java.util.Collection<List<ScoringVariant>> byFit(List<ScoringVariant> variants) {
        Map<SpatialPooling, Integer> firstRadius = new LinkedHashMap<>();
        for (ScoringVariant v : variants) {
            if (v.usesMemory()) {
                firstRadius.putIfAbsent(v.pooling(), v.memoryRadius());
            }
        }
        Map<List<Object>, List<ScoringVariant>> groups = new LinkedHashMap<>();
        for (ScoringVariant v : variants) {
            int radius = v.usesMemory() ? v.memoryRadius()
                    : firstRadius.getOrDefault(v.pooling(), ScoringVariant.NO_MEMORY);
            groups.computeIfAbsent(List.of(v.pooling(), radius), k -> new ArrayList<>()).add(v);
        }
        return groups.values();
    }

    /** A clip's name: its file name without the extension, as labels.json names it. */
    static String name(Path clip) {
        String file = clip.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return dot < 0 ? file : file.substring(0, dot);
    }

    /**
     * How a variant makes frame scores of this fit's distances: its frame score, its blend on the held-back scales,
     * and with a patch memory, the memory's blend with its own gate.
     */
    ModelInfo.FrameScoring scoring(ScoringVariant v) {
        if (v.usesMotion() && !model.hasMotion()) {
            throw new IllegalArgumentException("variant " + v.name() + " blends the motion stream, which this fit has "
                    + "not fitted");
        }
        if (v.usesMemory() && (!model.hasMemory() || model.info().memory().radius() != v.memoryRadius())) {
            throw new IllegalArgumentException("variant " + v.name() + " needs the patch memory of rows +-"
                    + v.memoryRadius() + ", which this fit has not built");
        }
        if (v.motionMemory() && model.motionMemory() == null) {
            throw new IllegalArgumentException("variant " + v.name() + " needs the motion stream's memory, which this "
                    + "fit has not built");
        }
        return new ModelInfo.FrameScoring(v.frameScore(),
                v.usesMotion() ? model.info().motion().withWeight(v.motionWeight()) : null,
                v.usesMemory() ? model.info().memory().withGate(v.gateQuantile(), gates.computeIfAbsent(
                        v.gateQuantile(), q -> heldBack.distances().appearanceQuantile(q))) : null,
                v.motionMemory() ? model.info().motionMemory().withGate(v.gateQuantile(), motionGates.computeIfAbsent(
                        v.gateQuantile(), q -> heldBack.distances().motionQuantile(q))) : null);
    }

    /** The distances the clips' frames are scored on, all clips in order. */
    PatchDistances distances(List<Clip> clips) {
        return PatchDistances.concat(clips.stream().map(Clip::distances).toList());
    }

    /** The variant's default threshold: the default rule on its scores of the held-back frames. */
    ThresholdStats threshold(ScoringVariant v) {
        return threshold(v, ThresholdRule.DEFAULT);
    }

    /** The variant's threshold by another rule, on the same held-back scores. */
    ThresholdStats threshold(ScoringVariant v, ThresholdRule rule) {
        if (v.extremes()) {
            return ThresholdStats.fromNormalScores(extremeScores(v, heldBack.distances()), rule);
        }
        return heldBack.threshold(detector, scoring(v), rule);
    }

    /** The variant's frame scores of a clip's frames. */
    double[] frameScores(ScoringVariant v, Clip clip) {
        return v.extremes() ? extremeScores(v, clip.distances()) : detector.frameScores(clip.distances(), scoring(v));
    }

    /** per {@code evt} variant, its per-position extremes of the held-back frames */
    private final Map<ScoringVariant, PositionExtremes> extremes = new java.util.HashMap<>();

    /** An {@code evt} variant's frame scores: its grids standardised per position, then its patch score. */
    private double[] extremeScores(ScoringVariant v, PatchDistances d) {
        ModelInfo.FrameScoring scoring = scoring(v);
        PositionExtremes e = extremes.computeIfAbsent(v, k -> {
            PatchDistances held = heldBack.distances();
            // the held-back frames come in the fit's blocks: every n-th block of n frames, held back whole
            return PositionExtremes.fit(held.grids(scoring), held.frames(), held.positions(), fit.holdOutEvery());
        });
        float[] z = e.standardise(d.grids(scoring), d.frames());
        double[] out = new double[d.frames()];
        for (int f = 0; f < out.length; f++) {
            out[f] = v.frameScore().score(z, f * d.positions(), d.positions(), model.info().gridWidth(), null);
        }
        return out;
    }

    /** The variant's maps and frame scores of some frames' distances ({@link #distances(List)}). */
    List<Detection> detect(ScoringVariant v, PatchDistances distances) {
        if (v.extremes()) {
            throw new IllegalArgumentException("variant " + v.name() + ": evt is a frame score of --cross-validate, "
                    + "which has no maps of its own");
        }
        return detector.detect(distances, scoring(v));
    }

    /** The patch memory's figures: patches kept, its scales; null without one. */
    Map<String, Object> memoryInfo() {
        if (!model.hasMemory()) {
            return null;
        }
        var m = model.info().memory();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("radius", m.radius());
        out.put("patches", model.memory().size());
        out.put("pool_per_row", PatchMemory.POOL_PER_ROW);
        out.put("coreset_per_row", m.patchesPerRow());
        out.put("offered_every", PatchMemory.OFFER_EVERY);
        out.put("memory_scale", m.memoryScale());
        out.put("appearance_scale", m.appearanceScale());
        return out;
    }

    ModelInfo info() {
        return model.info();
    }

    int heldBackFrames() {
        return heldBack.frames();
    }

    double fitSeconds() {
        return fitSeconds;
    }

    /** Reading, decoding, the backbone and both streams' distances, per frame scored so far. */
    double distanceMillisPerFrame() {
        return scoredFrames == 0 ? Double.NaN : scoreNanos / 1e6 / scoredFrames;
    }

    double scoreSeconds() {
        return scoreNanos / 1e9;
    }

    @Override
    public void close() {
        detector.close();
        model.close();
    }
}
