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
import dev.vigil.engine.FeatureExtractor;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PatchDistances;
import dev.vigil.padim.PatchMemory;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.SpatialPooling;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
     * One clip's frames under the fit: both streams' distances, and the size its frames decode to (for masks).
     *
     * @param memory per row band half-width R of the fit's memory variants, the frames' patch memory distances
     *               ({@code [frames][positions]}); empty without
     */
    record Clip(Path file, String name, PatchDistances distances, int width, int height, Map<Integer, float[]> memory) {
    }

    /** every how many fitted frames one is offered to the patch memory's pools */
    static final int MEMORY_EVERY = 8;
    /** the random pool of training patches per grid row that the coreset is taken from */
    static final int MEMORY_POOL = 2048;
    /** the coreset kept per grid row */
    static final int MEMORY_PER_ROW = 128;

    private final PadimModel model;
    private final HeldBackScores heldBack;
    private final Detector detector;
    private final FitOptions fit;
    private final FrameCodec codec;
    private final double fitSeconds;
    private long scoreNanos;
    private int scoredFrames;
    /** the row band half-widths of the memory variants, none without */
    private final int[] radii;
    private PatchMemory memory;
    /** per R: the held-back frames' memory distances, in the held-back scores' order */
    private final Map<Integer, float[]> heldBackMemory = new LinkedHashMap<>();
    private double memorySeconds;
    private long memoryNanos;

    private ClipFit(PadimModel model, HeldBackScores heldBack, Detector detector, FitOptions fit, FrameCodec codec,
                    double fitSeconds, int[] radii) {
        this.radii = radii;
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
        int[] radii = variants.stream().filter(ScoringVariant::usesMemory).mapToInt(ScoringVariant::memoryRadius)
                .distinct().sorted().toArray();
        ClipFit out = new ClipFit(fitted.model(), fitted.heldBack(), new Detector(backbone, fitted.model()), fit, codec,
                (System.nanoTime() - start) / 1e9, radii);
        if (radii.length > 0) {
            try {
                out.buildMemory(clips);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
        }
        return out;
    }

    /**
     * The patch memory of the training clips, a second pass over them: every {@link #MEMORY_EVERY}-th fitted frame
     * offered to the row pools, held-back frames (chosen as the fit chose them) kept out of it and scored against it
     * for its scale and the thresholds. A second pass of the backbone over a few hundred frames, where taking the
     * embeddings from the fit's own pass would reach into the trainer for an evaluation-only setting.
     */
    private void buildMemory(List<Path> clips) {
        long start = System.nanoTime();
        FeatureExtractor extractor = detector.extractor();
        var grid = extractor.embeddings();
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(grid.gridWidth(), grid.gridHeight(), grid.features(),
                MEMORY_POOL, fit.seed());
        List<RgbImage> held = new ArrayList<>();
        List<RgbImage> offered = new ArrayList<>();
        Iterator<SequenceFrame> frames = SequenceFrame.fromSources(codec, MediaInputs.frames(clips));
        int seen = 0;
        int heldSoFar = 0;
        int fitted = 0;
        while (frames.hasNext()) {
            SequenceFrame f = frames.next();
            boolean holdOut = fit.heldOut(seen++, heldSoFar);
            if (holdOut) {
                held.add(extractor.prepare(f.image()));
                heldSoFar++;
            } else if (fitted++ % MEMORY_EVERY == 0) {
                offered.add(extractor.prepare(f.image()));
                if (offered.size() == fit.batchSize()) {
                    offer(sampler, offered);
                }
            }
        }
        offer(sampler, offered);
        memory = sampler.coreset(MEMORY_PER_ROW);
        if (held.size() != heldBack.frames()) {
            throw new IllegalStateException("the memory's pass held back " + held.size() + " frames, the fit "
                    + heldBack.frames());
        }
        Map<Integer, List<float[]>> parts = new LinkedHashMap<>();
        for (int from = 0; from < held.size(); from += fit.batchSize()) {
            List<RgbImage> part = held.subList(from, Math.min(held.size(), from + fit.batchSize()));
            EmbeddingBatch batch = extractor.embed(part);
            float[][] d = memory.distances(batch, 0, part.size(), radii);
            extractor.recycle(batch);
            for (int r = 0; r < radii.length; r++) {
                parts.computeIfAbsent(radii[r], k -> new ArrayList<>()).add(d[r]);
            }
        }
        parts.forEach((r, list) -> heldBackMemory.put(r, concat(list)));
        memorySeconds = (System.nanoTime() - start) / 1e9;
    }

    private void offer(PatchMemory.Sampler sampler, List<RgbImage> images) {
        if (images.isEmpty()) {
            return;
        }
        FeatureExtractor extractor = detector.extractor();
        EmbeddingBatch batch = extractor.embed(images);
        for (int b = 0; b < images.size(); b++) {
            sampler.add(batch, b);
        }
        extractor.recycle(batch);
        images.clear();
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
        // per clip, per R: each batch's memory distances of the clip's frames
        Map<String, Map<Integer, List<float[]>>> memoryParts = new LinkedHashMap<>();
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
        }, (batch, embeddings) -> {
            if (memory == null) {
                return;
            }
            long t = System.nanoTime();
            float[][] d = memory.distances(embeddings, 0, batch.size(), radii);
            int positions = embeddings.positions();
            for (int i = 0; i < batch.size(); i++) {
                Map<Integer, List<float[]>> clip = memoryParts.computeIfAbsent(batch.get(i).source(),
                        s -> new LinkedHashMap<>());
                for (int r = 0; r < radii.length; r++) {
                    clip.computeIfAbsent(radii[r], k -> new ArrayList<>())
                            .add(java.util.Arrays.copyOfRange(d[r], i * positions, (i + 1) * positions));
                }
            }
            memoryNanos += System.nanoTime() - t;
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
            Map<Integer, float[]> m = new LinkedHashMap<>();
            memoryParts.getOrDefault(clip.toString(), Map.of()).forEach((r, list) -> m.put(r, concat(list)));
            out.add(new Clip(clip, name(clip), PatchDistances.concat(frames), size[0], size[1], m));
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

    /**
     * The distances a variant scores: the clips' own, or with a patch memory, the appearance distances where the
     * memory finds a patch more normal ({@link PatchMemory#combine}), on the held-back frames' scales.
     */
    PatchDistances distances(ScoringVariant v, List<Clip> clips) {
        List<PatchDistances> parts = new ArrayList<>();
        for (Clip c : clips) {
            parts.add(v.usesMemory() ? withMemory(v, c.distances(), c.memory().get(v.memoryRadius()))
                    : c.distances());
        }
        return PatchDistances.concat(parts);
    }

    private PatchDistances withMemory(ScoringVariant v, PatchDistances d, float[] memoryDistances) {
        if (memoryDistances == null) {
            throw new IllegalArgumentException("variant " + v.name() + " needs the patch memory of rows +-"
                    + v.memoryRadius() + ", which this fit has not built");
        }
        float[] combined = PatchMemory.combine(d.appearance(), memoryDistances, heldBack.distances().appearanceMean(),
                memoryScale(v.memoryRadius()));
        return new PatchDistances(d.frames(), d.positions(), combined, d.motion(), d.valid());
    }

    /** The memory distances' normal scale for R: their mean over the held-back frames. */
    double memoryScale(int radius) {
        float[] held = heldBackMemory.get(radius);
        double sum = 0;
        for (float x : held) {
            sum += x;
        }
        return sum / held.length;
    }

    /** The variant's default threshold: the default rule on its scores of the held-back frames. */
    ThresholdStats threshold(ScoringVariant v) {
        return threshold(v, ThresholdRule.DEFAULT);
    }

    /** The variant's threshold by another rule, on the same held-back scores. */
    ThresholdStats threshold(ScoringVariant v, ThresholdRule rule) {
        HeldBackScores held = v.usesMemory() ? new HeldBackScores(withMemory(v, heldBack.distances(),
                heldBackMemory.get(v.memoryRadius()))) : heldBack;
        return held.threshold(detector, scoring(v), rule);
    }

    /** The variant's frame scores of a clip's frames. */
    double[] frameScores(ScoringVariant v, Clip clip) {
        return detector.frameScores(distances(v, List.of(clip)), scoring(v));
    }

    /** The variant's maps and frame scores of some frames' distances ({@link #distances(ScoringVariant, List)}). */
    List<Detection> detect(ScoringVariant v, PatchDistances distances) {
        return detector.detect(distances, scoring(v));
    }

    /** The patch memory's figures: patches kept, build seconds (its pass and the coreset), ms per frame scored. */
    Map<String, Object> memoryInfo() {
        if (memory == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("radii", radii);
        m.put("patches", memory.size());
        m.put("pool_per_row", MEMORY_POOL);
        m.put("coreset_per_row", MEMORY_PER_ROW);
        m.put("offered_every", MEMORY_EVERY);
        m.put("scales", java.util.Arrays.stream(radii).boxed().collect(java.util.stream.Collectors.toMap(
                r -> Integer.toString(r), this::memoryScale)));
        m.put("appearance_scale", heldBack.distances().appearanceMean());
        m.put("build_seconds", memorySeconds);
        m.put("ms_per_frame", scoredFrames == 0 ? null : memoryNanos / 1e6 / scoredFrames);
        return m;
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
