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
    /** One clip's frames under the fit: both streams' distances, and the size its frames decode to (for masks). */
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
     * @param variants the variants to be scored, all with the same pooling: a motion stream is fitted when one of
     *                 them blends it in
     */
    static ClipFit fit(OnnxBackbone backbone, Preprocessing preprocessing, FitOptions fit, FrameCodec codec,
                       List<Path> clips, List<ScoringVariant> variants) {
        SpatialPooling pooling = variants.get(0).pooling();
        if (variants.stream().anyMatch(v -> !v.pooling().equals(pooling))) {
            throw new IllegalArgumentException("variants of one fit share its pooling: group them by it");
        }
        // the blend's weight is each variant's own; the fit needs one only to know that it fits the motion stream
        double weight = variants.stream().mapToDouble(ScoringVariant::motionWeight).max().orElse(0);
        long start = System.nanoTime();
        Trainer.Fitted fitted = new Trainer(backbone, preprocessing, fit, ThresholdRule.DEFAULT,
                new Scoring(FrameScore.MAX, weight, pooling))
                .fitWithHeldBack(SequenceFrame.fromSources(codec, MediaInputs.frames(clips)));
        if (fitted.heldBack() == null) {
            fitted.model().close();
            throw new IllegalArgumentException("the training clips are too few frames to hold any back: each variant "
                    + "learns its threshold from held-back frames");
        }
        return new ClipFit(fitted.model(), fitted.heldBack(), new Detector(backbone, fitted.model()), fit, codec,
                (System.nanoTime() - start) / 1e9);
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

    /** The variants grouped by what they fit (their pooling), in order: one fit per group. */
    static java.util.Collection<List<ScoringVariant>> byFit(List<ScoringVariant> variants) {
        Map<SpatialPooling, List<ScoringVariant>> groups = new LinkedHashMap<>();
        for (ScoringVariant v : variants) {
            groups.computeIfAbsent(v.pooling(), p -> new ArrayList<>()).add(v);
        }
        return groups.values();
    }

    /** A clip's name: its file name without the extension, as labels.json names it. */
    static String name(Path clip) {
        String file = clip.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return dot < 0 ? file : file.substring(0, dot);
    }

    /** How a variant makes frame scores of this fit's distances: its frame score, its blend on the held-back scales. */
    ModelInfo.FrameScoring scoring(ScoringVariant v) {
        if (v.usesMotion() && !model.hasMotion()) {
            throw new IllegalArgumentException("variant " + v.name() + " blends the motion stream, which this fit has "
                    + "not fitted");
        }
        return new ModelInfo.FrameScoring(v.frameScore(),
                v.usesMotion() ? model.info().motion().withWeight(v.motionWeight()) : null);
    }

    /** The variant's default threshold: the default rule on its scores of the held-back frames. */
    ThresholdStats threshold(ScoringVariant v) {
        return threshold(v, ThresholdRule.DEFAULT);
    }

    /** The variant's threshold by another rule, on the same held-back scores. */
    ThresholdStats threshold(ScoringVariant v, ThresholdRule rule) {
        return heldBack.threshold(detector, scoring(v), rule);
    }

    /** The variant's frame scores of some frames' distances. */
    double[] frameScores(ScoringVariant v, PatchDistances distances) {
        return detector.frameScores(distances, scoring(v));
    }

    /** The variant's maps and frame scores of some frames' distances. */
    List<Detection> detect(ScoringVariant v, PatchDistances distances) {
        return detector.detect(distances, scoring(v));
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
