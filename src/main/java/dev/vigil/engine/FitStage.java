package dev.vigil.engine;

import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.GaussianAccumulator;
import dev.vigil.padim.PackedTriangle;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The consuming stage of a fit: collects a few embedding batches and adds them to the accumulator together
 * ({@link GaussianAccumulator#add(List, int[])}), so the float64 totals are merged once per group rather than once
 * per backbone batch. The group is as large as the heap allows, up to {@link #TARGET_FRAMES} frames.
 */
public final class FitStage implements Consumer<EmbeddingBatch> {
    /** frames per merge beyond which the merge is a small share of the fit */
    static final int TARGET_FRAMES = 256;
    /** heap kept free for everything else: frames, backbone outputs, the collector's headroom */
    private static final long RESERVE_BYTES = 512L << 20;

    private final GaussianAccumulator accumulator;
    private final FeatureExtractor extractor;
    private final int group;
    private final List<EmbeddingBatch> pending = new ArrayList<>();

    public FitStage(GaussianAccumulator accumulator, FeatureExtractor extractor, int batchSize) {
        this(accumulator, extractor, batchSize, TARGET_FRAMES);
    }

    /** @param maxFrames at most this many frames per merge (at least one batch) */
    public FitStage(GaussianAccumulator accumulator, FeatureExtractor extractor, int batchSize, int maxFrames) {
        this.accumulator = accumulator;
        this.extractor = extractor;
        this.group = groupSize(accumulator.positions(), accumulator.features(), batchSize,
                Runtime.getRuntime().maxMemory(), maxFrames);
    }

    /** Batches per merge: up to {@link #TARGET_FRAMES} frames, within the heap left by the accumulator. */
    static int groupSize(int positions, int features, int batchSize, long maxHeap) {
        return groupSize(positions, features, batchSize, maxHeap, TARGET_FRAMES);
    }

    private static int groupSize(int positions, int features, int batchSize, long maxHeap, int maxFrames) {
        long batchBytes = 4L * positions * features * batchSize;
        long accumulatorBytes = 8L * positions * (PackedTriangle.size(features) + features);
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
    public void accept(EmbeddingBatch batch) {
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
