package dev.vigil.padim;

import java.util.PriorityQueue;

/**
 * What frames an operator confirmed as normal add to a model's patch memory ({@link PatchMemory#refine}): of their
 * patches, those the model still calls unusual, i.e. above its memory gate both for their own position (appearance
 * distance) and for the memory (memory distance in appearance units, as {@link MemoryBlend#apply} blends them). A patch
 * at or below the gate on either count already scores like the held-back normal patches: adding it would spend the
 * memory's fixed size on what it covers already. Of the rest, each grid row keeps the {@code limit} with the highest
 * blended distance: the patches that made the frames look unusual (a top:F frame score is their mean), and a bound on
 * the work and memory whatever the number of frames.
 *
 * <p>The Gaussians, the blend's scales and gate, and the threshold are left as they are: the memory only ever lowers
 * the appearance distances of patches above its gate ({@link MemoryBlend#apply} takes the smaller), so the confirmed
 * patches and their like score lower, and a patch that was normal to the memory moves by at most the coreset's
 * covering radius ({@link PatchMemory#refine}). What the frames' motion stream said is not changed.
 */
public final class MemoryRefinement {
    /** patches kept per grid row before the coreset: 4 times the memory's own 128 */
    public static final int CANDIDATES_PER_ROW = 512;

    private final PadimModel model;
    private final MemoryBlend blend;
    private final int limit;
    private final int gridWidth;
    private final int features;
    /** per row: {@code [limit][d]} */
    private final float[][] patches;
    /** per row: each kept patch's blended distance */
    private final float[][] scores;
    private final int[] counts;
    /** per row: its kept patches' slots, lowest blended distance first */
    private final PriorityQueue<Integer>[] lowest;
    private long offered;
    private long unusual;

    /**
     * @param model a model with a patch memory; it stays its caller's (not closed here)
     * @param limit patches kept per grid row (at least 1)
     * @throws IllegalArgumentException when the model has no patch memory
     */
    @SuppressWarnings("unchecked")
    public MemoryRefinement(PadimModel model, int limit) {
        if (!model.hasMemory()) {
            throw new IllegalArgumentException("the model has no patch memory to refine");
        }
        if (limit < 1) {
            throw new IllegalArgumentException("at least one patch per row must be kept, got " + limit);
        }
        this.model = model;
        this.blend = model.info().memory();
        this.limit = limit;
        this.gridWidth = model.info().gridWidth();
        this.features = model.info().features();
        int rows = model.info().gridHeight();
        this.patches = new float[rows][];
        this.scores = new float[rows][limit];
        this.counts = new int[rows];
        this.lowest = new PriorityQueue[rows];
        for (int y = 0; y < rows; y++) {
            float[] s = scores[y];
            lowest[y] = new PriorityQueue<>(limit, (a, b) -> Float.compare(s[a], s[b]));
        }
    }

    /** Takes the unusual patches of images {@code [first, first + n)} of an embedded batch. */
    public void offer(EmbeddingBatch batch, int first, int n) {
        float[] appearance = model.gaussian().mahalanobis(batch, first, n);
        double gate = blend.gate();
        // only the patches above the gate are searched: the others are +infinity, and normal anyway
        float[] memory = model.memory().distances(batch, first, n, blend.radius(), appearance, gate);
        float[] blended = blend.apply(appearance, memory);
        int positions = model.info().positions();
        int d = features;
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < positions; p++) {
                offered++;
                int o = i * positions + p;
                if (!(appearance[o] > gate) || !(blended[o] > gate)) {
                    continue;
                }
                unusual++;
                int y = p / gridWidth;
                int slot;
                if (counts[y] < limit) {
                    slot = counts[y]++;
                } else if (blended[o] > scores[y][lowest[y].peek()]) {
                    slot = lowest[y].poll();
                } else {
                    continue;
                }
                if (patches[y] == null) {
                    patches[y] = new float[limit * d];
                }
                System.arraycopy(batch.values(), (p * batch.batch() + first + i) * d, patches[y], slot * d, d);
                scores[y][slot] = blended[o];
                lowest[y].add(slot);
            }
        }
    }

    /** Patches looked at so far. */
    public long offered() {
        return offered;
    }

    /** Patches found unusual so far (above the gate on both counts), before each row's limit. */
    public long unusual() {
        return unusual;
    }

    /** Patches kept to add, all rows. */
    public int candidates() {
        int sum = 0;
        for (int c : counts) {
            sum += c;
        }
        return sum;
    }

    /** The model's memory with the patches kept added ({@link PatchMemory#refine}); the memory itself when none. */
    public PatchMemory refined() {
        if (candidates() == 0) {
            return model.memory();
        }
        float[][] added = new float[patches.length][];
        for (int y = 0; y < added.length; y++) {
            added[y] = patches[y] == null ? new float[0] : java.util.Arrays.copyOf(patches[y], counts[y] * features);
        }
        return model.memory().refine(added);
    }
}
