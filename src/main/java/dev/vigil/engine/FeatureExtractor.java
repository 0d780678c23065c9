package dev.vigil.engine;

import dev.vigil.backbone.InputTensor;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.EmbeddingPlanes;
import dev.vigil.padim.EmbeddingRows;
import dev.vigil.padim.Embeddings;
import dev.vigil.padim.LayerShape;
import dev.vigil.media.RgbImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Frames to PaDiM embeddings: preprocessing, the backbone, and the embedding of its feature maps for one input
 * size and one channel selection. Thread-safe.
 */
public final class FeatureExtractor {
    private final OnnxBackbone backbone;
    private final InputTensor input;
    private final Embeddings embeddings;
    /** batches kept for reuse: the pipeline's two, and the groups a fit merges together ({@link FitStage}) */
    static final int SPARE_BATCHES = 8;
    private final java.util.concurrent.ArrayBlockingQueue<EmbeddingBatch> spare =
            new java.util.concurrent.ArrayBlockingQueue<>(SPARE_BATCHES);
    private final java.util.concurrent.ArrayBlockingQueue<EmbeddingPlanes> sparePlanes =
            new java.util.concurrent.ArrayBlockingQueue<>(SPARE_BATCHES);

    /** one input array per thread, for every extractor (not one per model: a swap would leave its array behind) */
    private static final ThreadLocal<float[]> TENSORS = ThreadLocal.withInitial(() -> new float[0]);

    public FeatureExtractor(OnnxBackbone backbone, Preprocessing preprocessing, int[] channelIndices) {
        int stride = backbone.manifest().maxStride();
        if (preprocessing.width() % stride != 0 || preprocessing.height() % stride != 0) {
            throw new IllegalArgumentException("input size " + preprocessing.width() + "x" + preprocessing.height()
                    + " must be a multiple of " + stride + " (the backbone's largest stride)");
        }
        this.backbone = backbone;
        this.input = new InputTensor(backbone.manifest().input(), preprocessing);
        this.embeddings = new Embeddings(layerShapes(backbone, preprocessing), channelIndices);
    }

    /** Feature-map shapes from the manifest's strides; {@link #embed} checks them against the real outputs. */
    static List<LayerShape> layerShapes(OnnxBackbone backbone, Preprocessing preprocessing) {
        List<LayerShape> shapes = new ArrayList<>();
        for (var output : backbone.manifest().outputs()) {
            shapes.add(new LayerShape(output.channels(), preprocessing.height() / output.stride(),
                    preprocessing.width() / output.stride()));
        }
        return shapes;
    }

    public OnnxBackbone backbone() {
        return backbone;
    }

    public InputTensor input() {
        return input;
    }

    public Embeddings embeddings() {
        return embeddings;
    }

    public Preprocessing preprocessing() {
        return input.preprocessing();
    }

    /** What one frame takes in an {@link #embedPlanes} batch. */
    public long planeBytes() {
        return 4L * embeddings.planeFloats();
    }

    /** What one frame takes in an {@link #embed} batch, on layer 1's grid. */
    public long embeddingBytes() {
        return 4L * embeddings.positions() * embeddings.features();
    }

    /** Preprocessing only (resize/crop), e.g. to keep what the backbone saw for overlays. */
    public RgbImage prepare(RgbImage frame) {
        return input.prepare(frame);
    }

    /** Runs the backbone on prepared images and returns their embeddings. */
    public EmbeddingBatch embed(List<RgbImage> prepared) {
        return embed(prepared, prepared.size());
    }

    /** Runs the backbone on a normalised NCHW tensor of n images and returns their embeddings. */
    public EmbeddingBatch embedTensor(float[] tensor, int n) {
        return embedTensor(tensor, n, n);
    }

    /**
     * As {@link #embed}, into a batch with room for {@code capacity} images of which the first {@code n} are filled:
     * batches of varying size then reuse one allocation (tens of MB) instead of a new one each.
     */
    public EmbeddingBatch embed(List<RgbImage> prepared, int capacity) {
        return embedTensor(tensor(prepared), prepared.size(), Math.max(prepared.size(), capacity));
    }

    /**
     * Runs the backbone on prepared images and keeps their embeddings as planes ({@link EmbeddingPlanes}): what a fit
     * takes, in a quarter of the memory, so that it can merge more frames at once.
     */
    public EmbeddingPlanes embedPlanes(List<RgbImage> prepared) {
        return embedPlanes(tensor(prepared), prepared.size());
    }

    /** As {@link #embedPlanes(List)}, from a normalised NCHW tensor of n images. */
    public EmbeddingPlanes embedPlanes(float[] tensor, int n) {
        OnnxBackbone.Features features = run(tensor, n);
        EmbeddingPlanes planes = sparePlanes.poll();
        if (planes == null || planes.batch() != n) {
            planes = embeddings.allocatePlanes(n);
        }
        embeddings.extractPlanes(features.layers(), n, planes);
        return planes;
    }

    /** The prepared images written into this thread's input array. */
    private float[] tensor(List<RgbImage> prepared) {
        int n = prepared.size();
        int size = n * 3 * preprocessing().width() * preprocessing().height();
        // one input array per thread, reused: ONNX Runtime copies it, and a new one per batch (19 MB at 32 x 224 x
        // 224) was zeroed and faulted in each time
        float[] tensor = TENSORS.get();
        if (tensor.length < size) {
            tensor = new float[size];
            TENSORS.set(tensor);
        }
        for (int i = 0; i < n; i++) {
            input.write(prepared.get(i), tensor, i);
        }
        return tensor;
    }

    private EmbeddingBatch embedTensor(float[] tensor, int n, int capacity) {
        OnnxBackbone.Features features = run(tensor, n);
        EmbeddingBatch batch = spare.poll();
        if (batch == null || batch.batch() != capacity) {
            batch = EmbeddingBatch.allocate(embeddings.positions(), embeddings.features(), capacity);
        }
        embeddings.extract(features.layers(), n, batch);
        return batch;
    }

    /**
     * Hands a batch back once its consumer is done with it, for the next {@link #embed} to fill: a batch is tens to
     * hundreds of MB, and allocating one per call keeps the collector busy.
     */
    public void recycle(EmbeddingRows batch) {
        if (batch instanceof EmbeddingPlanes planes) {
            sparePlanes.offer(planes);
        } else {
            spare.offer((EmbeddingBatch) batch);
        }
    }

    private OnnxBackbone.Features run(float[] tensor, int n) {
        OnnxBackbone.Features features = backbone.run(tensor, n, preprocessing().height(), preprocessing().width());
        checkShapes(features);
        return features;
    }

    private void checkShapes(OnnxBackbone.Features features) {
        for (int l = 0; l < embeddings.layers().size(); l++) {
            LayerShape expected = embeddings.layers().get(l);
            int[] actual = features.shapes().get(l);
            if (actual[1] != expected.channels() || actual[2] != expected.height() || actual[3] != expected.width()) {
                throw new IllegalStateException("backbone " + backbone.manifest().name() + " output "
                        + backbone.manifest().outputs().get(l).name() + " is " + actual[1] + "x" + actual[2] + "x"
                        + actual[3] + " but the manifest implies " + expected.channels() + "x" + expected.height()
                        + "x" + expected.width() + " for a " + preprocessing().width() + "x"
                        + preprocessing().height() + " input");
            }
        }
    }
}
