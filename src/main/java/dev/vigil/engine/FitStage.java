package dev.vigil.engine;

import dev.vigil.padim.EmbeddingRows;
import dev.vigil.padim.GaussianSums;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The consuming stage of a fit: collects a few embedding batches and adds them to the accumulator together
 * ({@link GaussianSums#add(List, int[])}), so the float64 totals are merged once per group rather than once
 * per backbone batch. The group is as large as the heap allows, up to {@link #TARGET_FRAMES} frames. A plain fit is fed
 * {@link dev.vigil.padim.EmbeddingPlanes} (a quarter of the memory per frame, so four times the frames per merge in
 * the same heap); a fit that also takes frame differences is fed the embeddings on layer 1's grid.
 */
public final class FitStage implements Consumer<EmbeddingRows> {
    /** frames per merge beyond which the merge is a small share of the fit */
    static final int TARGET_FRAMES = 256;
    /** heap kept free for everything else: frames, backbone outputs, the collector's headroom */
    private static final long RESERVE_BYTES = 512L << 20;

    private final GaussianSums accumulator;
    private final FeatureExtractor extractor;
    private final int group;
    private final List<EmbeddingRows> pending = new ArrayList<>();

    /** A stage fed {@link FeatureExtractor#embedPlanes} batches, up to {@link #TARGET_FRAMES} frames per merge. */
    public FitStage(GaussianSums accumulator, FeatureExtractor extractor, int batchSize) {
        this(accumulator, extractor, batchSize, TARGET_FRAMES, extractor.planeBytes());
    }

    /**
     * @param maxFrames  at most this many frames per merge (at least one batch)
     * @param imageBytes what one frame of the batches it is fed takes: {@link FeatureExtractor#planeBytes} or
     *                   {@link FeatureExtractor#embeddingBytes}
     */
    public FitStage(GaussianSums accumulator, FeatureExtractor extractor, int batchSize, int maxFrames,
                    long imageBytes) {
        this.accumulator = accumulator;
        this.extractor = extractor;
        this.group = groupSize(accumulator.bytes(), batchSize, imageBytes, Runtime.getRuntime().maxMemory(),
                maxFrames);
    }

    /** Batches per merge: up to {@code maxFrames} frames, within the heap left by the accumulator. */
    private static int groupSize(long accumulatorBytes, int batchSize, long imageBytes, long maxHeap, int maxFrames) {
        long batchBytes = imageBytes * batchSize;
        // two batches are always in flight (one being embedded, one being consumed)
        long free = maxHeap - accumulatorBytes - 2 * batchBytes - RESERVE_BYTES;
        long byHeap = free / batchBytes;
        long byTarget = Math.max(1, Math.min(TARGET_FRAMES, maxFrames) / batchSize);
        return (int) Math.max(1, Math.min(Math.min(byHeap, byTarget), FeatureExtractor.SPARE_BATCHES - 2));
    }

    public int group() {
        return group;
    }

    @Override
    public void accept(EmbeddingRows batch) {
        pending.add(batch);
        if (pending.size() >= group) {
            flush();
        }
    }

    /** Adds what is pending; call once the last batch has been accepted. */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        int[] images = new int[pending.size()];
        for (int i = 0; i < images.length; i++) {
            images[i] = pending.get(i).batch();
        }
        accumulator.add(pending, images);
        pending.forEach(extractor::recycle);
        pending.clear();
    }
}
