package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.AnomalyMapOperator;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.FrameDifferences;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PatchDistances;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Scores frames with a fitted PaDiM model: anomaly map and image score per frame, batched and pipelined. A model with a
 * motion stream also needs each frame's predecessor: the detector keeps the last frame's embeddings
 * ({@link FrameDifferences}), so it scores one sequence (a clip, a camera's stream) at a time, in order; a frame that
 * does not follow the one before it is scored with its motion counted as usual.
 */
public final class Detector implements AutoCloseable {
    private final FeatureExtractor extractor;
    private final PadimModel model;
    private final AnomalyMapOperator maps;
    /** the motion stream's last frame, or null for a model without one */
    private final FrameDifferences differences;
    /** frames whose maps {@link #frameScores} makes at once: hundreds of maps would be hundreds of MB */
    private static final int MAP_CHUNK = 64;
    /** whether the patch memory is asked about every patch rather than only those above its gate */
    private final boolean searchEveryPatch;

    public Detector(OnnxBackbone backbone, PadimModel model) {
        this(backbone, model, false);
    }

    /** @param searchEveryPatch as {@link #Detector(FeatureExtractor, PadimModel, boolean)} */
    public Detector(OnnxBackbone backbone, PadimModel model, boolean searchEveryPatch) {
        this(new FeatureExtractor(backbone, preprocessing(model.info()), model.info().channelIndices()), model,
                searchEveryPatch);
    }

    /** A detector on an extractor that other detectors with the same input and channels may share. */
    public Detector(FeatureExtractor extractor, PadimModel model) {
        this(extractor, model, false);
    }

    /**
     * @param searchEveryPatch with a patch memory, whether it is asked about every patch, not only those above its
     *                         gate: for the held-back frames, whose memory distances give its scale, and evaluations
     *                         that compare gates on the same distances. The scores are the same either way.
     */
    public Detector(FeatureExtractor extractor, PadimModel model, boolean searchEveryPatch) {
        this.searchEveryPatch = searchEveryPatch;
        ModelInfo info = model.info();
        this.extractor = extractor;
        if (!java.util.Arrays.equals(extractor.embeddings().channelIndices(), info.channelIndices())
                || !extractor.preprocessing().equals(preprocessing(info))) {
            throw new IllegalArgumentException("extractor (" + extractor.preprocessing() + ") does not match the model ("
                    + preprocessing(info) + ", its channels)");
        }
        if (extractor.embeddings().gridWidth() != info.gridWidth()
                || extractor.embeddings().gridHeight() != info.gridHeight()) {
            throw new IllegalArgumentException("model grid " + info.gridWidth() + "x" + info.gridHeight()
                    + " does not match the backbone's " + extractor.embeddings().gridWidth() + "x"
                    + extractor.embeddings().gridHeight());
        }
        this.model = model;
        this.differences = model.hasMotion() ? new FrameDifferences(info.positions(), info.features()) : null;
        this.maps = AnomalyMapOperator.standard(info.gridHeight(), info.gridWidth(), info.inputHeight(),
                info.inputWidth());
    }

    /** The preprocessing a model was fitted with. */
    public static Preprocessing preprocessing(ModelInfo info) {
        return new Preprocessing(Preprocessing.Mode.parse(info.preprocessing()), info.inputWidth(), info.inputHeight());
    }

    /** Loads a model file and checks it was fitted with this backbone. */
    public static Detector load(OnnxBackbone backbone, Path modelFile) throws IOException {
        return new Detector(backbone, loadModel(backbone, modelFile));
    }

    /** Reads a model file, refusing it before its payload is read when it was fitted with another backbone. */
    public static PadimModel loadModel(OnnxBackbone backbone, Path modelFile) throws IOException {
        ModelInfo info = ModelFile.readInfo(modelFile);
        ModelCompatibility.check(modelFile, info, backbone);
        return ModelFile.read(modelFile);
    }

    public PadimModel model() {
        return model;
    }

    public FeatureExtractor extractor() {
        return extractor;
    }

    /** Post-processing of an embedded batch: distances, maps, scores. */
    public List<Detection> score(EmbeddingBatch batch) {
        return score(batch, 0, batch.batch());
    }

    /**
     * As {@link #score(EmbeddingBatch)}, for images {@code [first, first + n)} of a batch shared with others, each
     * following the one before it (the last image of the previous call for the first).
     */
    public List<Detection> score(EmbeddingBatch batch, int first, int n) {
        return score(batch, first, n, null);
    }

    /**
     * @param follows per image, whether it comes right after the image scored before it; null: all do. Only a model
     *                with a motion stream looks at it.
     */
    public List<Detection> score(EmbeddingBatch batch, int first, int n, boolean[] follows) {
        return detect(distances(batch, first, n, follows), model.info().scoring());
    }

    /**
     * Both streams' patch distances of images {@code [first, first + n)} of a batch, each following the one before it
     * as {@code follows} says (null: all do); the motion stream's only with a model that has one, the patch memory's
     * only with a model that has one (for the patches above its gate, unless this detector searches every patch).
     */
    public PatchDistances distances(EmbeddingBatch batch, int first, int n, boolean[] follows) {
        float[] appearance = model.gaussian().mahalanobis(batch, first, n);
        int positions = model.gaussian().positions();
        float[] memory = null;
        if (model.memory() != null) {
            var blend = model.info().memory();
            memory = model.memory().distances(batch, first, n, blend.radius(), searchEveryPatch ? null : appearance,
                    blend.gate());
        }
        if (differences == null) {
            return new PatchDistances(n, positions, appearance, null, null, memory);
        }
        boolean[] valid = new boolean[n];
        EmbeddingBatch diff = differences.next(batch, first, n, follows, valid);
        float[] motion = model.motion().mahalanobis(diff, n);
        float[] motionMemory = null;
        if (model.motionMemory() != null) {
            var blend = model.info().motionMemory();
            motionMemory = model.motionMemory().distances(diff, 0, n, blend.radius(),
                    searchEveryPatch ? null : motion, blend.gate());
        }
        return new PatchDistances(n, positions, appearance, motion, valid, memory, motionMemory);
    }

    /**
     * Maps and frame scores of patch distances under scoring settings: this model's ({@link #score}), or, for the
     * same Gaussians, another frame score or blend (a threshold learnt for it, variants compared side by side).
     */
    public List<Detection> detect(PatchDistances distances, ModelInfo.FrameScoring scoring) {
        int n = distances.frames();
        int positions = distances.positions();
        float[] grids = distances.grids(scoring);
        float[][] m = maps.apply(grids, n);
        FrameScore frameScore = scoring.frameScore();
        int gridWidth = model.info().gridWidth();
        List<Detection> out = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            out.add(new Detection(frameScore.score(grids, b * positions, positions, gridWidth, m[b]), m[b],
                    maps.width(), maps.height()));
        }
        return out;
    }

    /**
     * The frame scores alone of patch distances under scoring settings, as {@link #detect} gives them: maps are made
     * only for a score that reads them ({@code max}), a few frames at a time, and not kept.
     */
    public double[] frameScores(PatchDistances distances, ModelInfo.FrameScoring scoring) {
        int n = distances.frames();
        int positions = distances.positions();
        float[] grids = distances.grids(scoring);
        FrameScore frameScore = scoring.frameScore();
        int gridWidth = model.info().gridWidth();
        double[] out = new double[n];
        for (int from = 0; from < n; from += MAP_CHUNK) {
            int k = Math.min(MAP_CHUNK, n - from);
            float[][] m = frameScore.isMax()
                    ? maps.apply(java.util.Arrays.copyOfRange(grids, from * positions, (from + k) * positions), k)
                    : null;
            for (int b = 0; b < k; b++) {
                out[from + b] = frameScore.score(grids, (from + b) * positions, positions, gridWidth,
                        m == null ? null : m[b]);
            }
        }
        return out;
    }

    /** Forgets the last frame: the next one starts a new sequence (its motion counts as usual). */
    public void newSequence() {
        if (differences != null) {
            differences.reset();
        }
    }

    /** Scores prepared images (already at the input size) in one batch. */
    public List<Detection> scorePrepared(List<RgbImage> prepared) {
        return score(extractor.embed(prepared));
    }

    /**
     * Scores a stream of items in batches, the backbone one batch ahead of the post-processing.
     *
     * @param frame    the frame of an item
     * @param consumer receives each item with its detection, in order
     */
    public <T> void scoreAll(Iterator<T> items, int batchSize, Function<T, RgbImage> frame,
                             BiConsumer<T, Detection> consumer) {
        scoreAllPrepared(items, batchSize, frame.andThen(extractor::prepare), t -> true, consumer);
    }

    /**
     * As {@link #scoreAll(Iterator, int, Function, BiConsumer)}, for items of several sequences.
     *
     * @param follows whether an item comes right after the one before it (not a clip's first frame)
     */
    public <T> void scoreAll(Iterator<T> items, int batchSize, Function<T, RgbImage> frame, Predicate<T> follows,
                             BiConsumer<T, Detection> consumer) {
        scoreAllPrepared(items, batchSize, frame.andThen(extractor::prepare), follows, consumer);
    }

    /** As {@link #scoreAll}, for frames already at the input size ({@link FeatureExtractor#prepare}). */
    public <T> void scoreAllPrepared(Iterator<T> items, int batchSize, Function<T, RgbImage> prepared,
                                     BiConsumer<T, Detection> consumer) {
        scoreAllPrepared(items, batchSize, prepared, t -> true, consumer);
    }

    /** As {@link #scoreAll(Iterator, int, Function, Predicate, BiConsumer)}, for frames at the input size. */
    public <T> void scoreAllPrepared(Iterator<T> items, int batchSize, Function<T, RgbImage> prepared,
                                     Predicate<T> follows, BiConsumer<T, Detection> consumer) {
        distancesAll(items, batchSize, prepared, follows, (batch, distances) -> {
            List<Detection> detections = detect(distances, model.info().scoring());
            for (int i = 0; i < detections.size(); i++) {
                consumer.accept(batch.get(i), detections.get(i));
            }
        });
    }

    /**
     * Both streams' patch distances ({@link #distances}) of a stream of items, a batch at a time, the backbone one
     * batch ahead: what {@link #scoreAllPrepared} scores, for callers that score them more than one way.
     *
     * @param prepared the frame of an item, at the input size
     * @param consumer receives each batch of items, in order, with their distances
     */
    public <T> void distancesAll(Iterator<T> items, int batchSize, Function<T, RgbImage> prepared,
                                 Predicate<T> follows, BiConsumer<List<T>, PatchDistances> consumer) {
        // the items are a sequence of their own: the first has no predecessor
        newSequence();
        record Embedded<T>(List<T> items, EmbeddingBatch batch) {
        }
        Pipeline.run(new Batches<>(items, batchSize), (List<T> batch) -> {
            List<RgbImage> images = new ArrayList<>(batch.size());
            for (T item : batch) {
                images.add(prepared.apply(item));
            }
            return new Embedded<>(batch, extractor.embed(images));
        }, (Embedded<T> embedded) -> {
            boolean[] after = new boolean[embedded.items().size()];
            for (int i = 0; i < after.length; i++) {
                after[i] = follows.test(embedded.items().get(i));
            }
            PatchDistances distances = distances(embedded.batch(), 0, after.length, after);
            extractor.recycle(embedded.batch());
            consumer.accept(embedded.items(), distances);
        });
    }

    @Override
    public void close() {
        maps.close();
    }
}
