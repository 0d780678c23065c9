package dev.vigil.padim;

import java.util.Arrays;
import java.util.List;

/**
 * Both streams' Mahalanobis distances of some frames, before a model's scoring settings ({@link ModelInfo.FrameScoring})
 * make them into patch grids, maps and frame scores. Kept apart from those settings so that one pass of the backbone
 * and the Gaussians can be scored several ways: the held-back frames' threshold for each setting, and
 * {@code eval --variants} and {@code --cross-validate}, which compare settings on the same distances.
 *
 * @param appearance {@code [frames][positions]}: the appearance Gaussians' distances (the paper's)
 * @param motion     {@code [frames][positions]}: the motion Gaussians' distances, or null without a motion stream
 * @param valid      per frame, whether it had a predecessor (its motion distances exist); null without a motion
 *                   stream
 * @param memory     {@code [frames][positions]}: the patch memory's distances ({@link PatchMemory}), +infinity where
 *                   the memory was not asked; null without a memory
 * @param motionMemory {@code [frames][positions]}: the motion stream's memory distances, likewise; null without
 */
public record PatchDistances(int frames, int positions, float[] appearance, float[] motion, boolean[] valid,
                             float[] memory, float[] motionMemory) {
    public PatchDistances {
        if (appearance.length != frames * positions || (motion != null && (motion.length != appearance.length
                || valid == null || valid.length != frames))
                || (memory != null && memory.length != appearance.length)
                || (motionMemory != null && (motion == null || motionMemory.length != appearance.length))) {
            throw new IllegalArgumentException("patch distances of " + frames + " frames x " + positions
                    + " positions do not match their arrays");
        }
    }

    /** Without a patch memory. */
    public PatchDistances(int frames, int positions, float[] appearance, float[] motion, boolean[] valid) {
        this(frames, positions, appearance, motion, valid, null, null);
    }

    /** Without a motion stream's memory. */
    public PatchDistances(int frames, int positions, float[] appearance, float[] motion, boolean[] valid,
                          float[] memory) {
        this(frames, positions, appearance, motion, valid, memory, null);
    }

    public boolean hasMotion() {
        return motion != null;
    }

    public boolean hasMemory() {
        return memory != null;
    }

    /** Frame i alone, copied. */
    public PatchDistances frame(int i) {
        int from = i * positions;
        return new PatchDistances(1, positions, Arrays.copyOfRange(appearance, from, from + positions),
                motion == null ? null : Arrays.copyOfRange(motion, from, from + positions),
                motion == null ? null : new boolean[]{valid[i]},
                memory == null ? null : Arrays.copyOfRange(memory, from, from + positions),
                motionMemory == null ? null : Arrays.copyOfRange(motionMemory, from, from + positions));
    }

    /** Several frames' distances as one, in order (all with a motion stream, or none). */
    public static PatchDistances concat(List<PatchDistances> parts) {
        int positions = parts.get(0).positions();
        int frames = parts.stream().mapToInt(PatchDistances::frames).sum();
        boolean motion = parts.get(0).hasMotion();
        float[] a = new float[frames * positions];
        float[] m = motion ? new float[frames * positions] : null;
        boolean[] v = motion ? new boolean[frames] : null;
        boolean memory = parts.get(0).hasMemory();
        float[] r = memory ? new float[frames * positions] : null;
        boolean motionMemory = parts.get(0).motionMemory() != null;
        float[] mr = motionMemory ? new float[frames * positions] : null;
        int at = 0;
        for (PatchDistances p : parts) {
            if (p.positions() != positions || p.hasMotion() != motion || p.hasMemory() != memory
                    || (p.motionMemory() != null) != motionMemory) {
                throw new IllegalArgumentException("cannot join distances of different grids or streams");
            }
            System.arraycopy(p.appearance(), 0, a, at * positions, p.frames() * positions);
            if (memory) {
                System.arraycopy(p.memory(), 0, r, at * positions, p.frames() * positions);
            }
            if (motionMemory) {
                System.arraycopy(p.motionMemory(), 0, mr, at * positions, p.frames() * positions);
            }
            if (motion) {
                System.arraycopy(p.motion(), 0, m, at * positions, p.frames() * positions);
                System.arraycopy(p.valid(), 0, v, at, p.frames());
            }
            at += p.frames();
        }
        return new PatchDistances(frames, positions, a, m, v, r, mr);
    }

    /**
     * The patch grids the frames are scored on under scoring settings: the appearance distances, where a memory
     * blend says so the memory's instead ({@link MemoryBlend#apply}), then with a motion blend both streams blended
     * ({@link MotionBlend#blend}).
     *
     * @return {@code [frames][positions]}; the appearance array itself when there is neither blend
     */
    public float[] grids(ModelInfo.FrameScoring scoring) {
        float[] a = appearance;
        if (scoring.memory() != null) {
            if (memory == null) {
                throw new IllegalArgumentException("a memory blend needs the patch memory's distances");
            }
            a = scoring.memory().apply(appearance, memory);
        }
        MotionBlend blend = scoring.motion();
        if (blend == null) {
            return a;
        }
        if (motion == null) {
            throw new IllegalArgumentException("a motion blend needs the motion stream's distances");
        }
        float[] m = motion;
        if (scoring.motionMemory() != null) {
            if (motionMemory == null) {
                throw new IllegalArgumentException("a motion memory blend needs the motion memory's distances");
            }
            m = scoring.motionMemory().apply(motion, motionMemory);
        }
        return blend.blend(a, m, valid, frames, positions);
    }

    /** Mean appearance distance over all frames and positions: the appearance scale of a blend. */
    public double appearanceMean() {
        return mean(appearance, false, false);
    }

    /** Mean motion distance over the frames that had a predecessor; NaN when none had one. */
    public double motionMean() {
        return mean(motion, true, false);
    }

    /** Mean memory distance over all frames and positions (all searched): the memory scale of a memory blend. */
    public double memoryMean() {
        return mean(memory, false, true);
    }

    /** Mean motion memory distance over the frames that had a predecessor (all searched); NaN when none had one. */
    public double motionMemoryMean() {
        return mean(motionMemory, true, true);
    }

    /** The q-quantile of all appearance distances (the lower one of the two around it), 0 for q = 0. */
    public double appearanceQuantile(double q) {
        return quantile(appearance, false, q);
    }

    /** The q-quantile of the motion distances of the frames that had a predecessor (the lower one), 0 for q = 0. */
    public double motionQuantile(double q) {
        return quantile(motion, true, q);
    }

    /**
     * The mean of every frame's values, or of the frames that had a predecessor only; NaN when there are none.
     *
     * @param searched memory distances: a scale needs every patch's, and one not searched (+infinity) has none
     */
    private double mean(float[] values, boolean followingOnly, boolean searched) {
        double sum = 0;
        long count = 0;
        for (int b = 0; b < frames; b++) {
            if (!followingOnly || valid[b]) {
                for (int p = b * positions; p < (b + 1) * positions; p++) {
                    if (searched && Float.isInfinite(values[p])) {
                        throw new IllegalStateException("the memory scale needs every patch's memory distance");
                    }
                    sum += values[p];
                }
                count += positions;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /** The lower of the two values around the q-quantile of {@link #mean}'s values; 0 for q = 0 or none. */
    private double quantile(float[] values, boolean followingOnly, double q) {
        if (q <= 0) {
            return 0;
        }
        float[] sorted = new float[frames * positions];
        int n = 0;
        for (int b = 0; b < frames; b++) {
            if (!followingOnly || valid[b]) {
                System.arraycopy(values, b * positions, sorted, n, positions);
                n += positions;
            }
        }
        Arrays.sort(sorted, 0, n);
        return n == 0 ? 0 : sorted[(int) Math.min(n - 1, Math.floor(q * (n - 1)))];
    }
}
