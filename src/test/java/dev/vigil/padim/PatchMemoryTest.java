package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PatchMemoryTest {
    private static final int W = 3;
    private static final int H = 4;

    /** One image whose patch at (x, y) is (value(x, y), 0). */
    private static EmbeddingBatch image(java.util.function.IntBinaryOperator value) {
        EmbeddingBatch b = EmbeddingBatch.allocate(W * H, 2, 1);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                b.set(y * W + x, 0, 0, value.applyAsInt(x, y));
            }
        }
        return b;
    }

    @Test
    void aPatchIsNearItsNeighbourInItsOwnRowsBandWhereverItWasSeen() {
        // training: row y holds the values 100 y + x, at any column
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 16, 1);
        sampler.add(image((x, y) -> 100 * y + x), 0);
        PatchMemory memory = sampler.coreset(16);
        assertThat(memory.size()).isEqualTo(W * H);
        // a patch of row 0 showing row 0's value 2 at column 0, and row 1's value 101 at column 1
        EmbeddingBatch test = image((x, y) -> y == 0 && x == 0 ? 2 : y == 0 && x == 1 ? 101 : 100 * y + x + 1000);
        float[][] d = {memory.distances(test, 0, 1, 0, null, 0), memory.distances(test, 0, 1, 1, null, 0)};
        // position-free: row 0's value at another column is at distance 0
        assertThat(d[0][0]).isCloseTo(0f, within(1e-3f));
        // row 1's value: far in row 0 alone (nearest 2), seen with the band +-1
        assertThat(d[0][1]).isCloseTo(99f, within(1e-2f));
        assertThat(d[1][1]).isCloseTo(0f, within(1e-2f));
        // a patch unlike any in its band: its nearest is the band's closest value (row 3: 302 vs 1302)
        assertThat(d[1][3 * W + 2]).isCloseTo(1000f, within(1e-1f));
    }

    @Test
    void theCoresetKeepsAtMostItsSizePerRowAndTheRarePatches() {
        // every row: many patches at 0 and one at 50
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 64, 7);
        for (int i = 0; i < 10; i++) {
            int frame = i;
            sampler.add(image((x, y) -> frame == 3 && x == 1 ? 50 : 0), 0);
        }
        assertThat(sampler.offered()).isEqualTo(10L * W * H);
        PatchMemory memory = sampler.coreset(2);
        assertThat(memory.perRow()).isEqualTo(2);
        assertThat(memory.size()).isEqualTo(2 * H);
        // both kinds kept: a 50 and a 0 are each at distance 0
        float[] d = memory.distances(image((x, y) -> x == 0 ? 50 : 0), 0, 1, 0, null, 0);
        for (float v : d) {
            assertThat(v).isCloseTo(0f, within(1e-3f));
        }
    }

    @Test
    void aPatchCountsAsNormalWhenEitherScoreSaysSoEachOnItsOwnScale() {
        // appearance scale 2, memory scale 10: memory 10 is as normal as appearance 2
        MemoryBlend blend = new MemoryBlend(1, 0, 0, 2, 10, 4);
        float[] out = blend.apply(new float[]{8, 1, 4}, new float[]{10, 40, 30});
        assertThat(out).containsExactly(2f, 1f, 4f);
    }

    @Test
    void belowTheGateAPatchKeepsItsAppearanceDistanceAndIsNotSearched() {
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 16, 1);
        sampler.add(image((x, y) -> 100 * y + x), 0);
        PatchMemory memory = sampler.coreset(16);
        EmbeddingBatch test = image((x, y) -> 100 * y + x + 7);
        float[] every = memory.distances(test, 0, 1, 0, null, 0);
        // appearance distances: column 0 below the gate of 5, the others above
        float[] appearance = new float[W * H];
        for (int p = 0; p < appearance.length; p++) {
            appearance[p] = p % W == 0 ? 1 : 9;
        }
        float[] gated = memory.distances(test, 0, 1, 0, appearance, 5);
        for (int p = 0; p < appearance.length; p++) {
            if (p % W == 0) {
                assertThat(gated[p]).isEqualTo(Float.POSITIVE_INFINITY);
            } else {
                assertThat(gated[p]).isEqualTo(every[p]);
            }
        }
        // the scores are the same whether or not the patches below the gate were searched
        MemoryBlend blend = new MemoryBlend(0, 0.5, 5, 1, 1, 16);
        assertThat(blend.apply(appearance, gated)).containsExactly(blend.apply(appearance, every));
    }

    @Test
    void aMemoryReadBackFromItsPatchesIsTheSameMemory() {
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 16, 1);
        sampler.add(image((x, y) -> 100 * y + x), 0);
        PatchMemory memory = sampler.coreset(2);
        PatchMemory back = PatchMemory.of(W, H, 2, 2, memory.patches());
        EmbeddingBatch test = image((x, y) -> 13 * x + y);
        assertThat(back.distances(test, 0, 1, 1, null, 0)).containsExactly(memory.distances(test, 0, 1, 1, null, 0));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PatchMemory.of(W, H, 2, 3, memory.patches()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 4 rows of 3 patches");
    }

    @Test
    void aPatchAddedByRefiningIsInTheMemoryWhichKeepsItsSizePerRow() {
        // every row: 32 patches along the first axis, 0..31
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 64, 3);
        for (int i = 0; i < 11; i++) {
            int frame = i;
            sampler.add(image((x, y) -> frame * W + x), 0);
        }
        PatchMemory memory = sampler.coreset(8);
        // row 2 gets a patch unlike anything seen, (501, 40), and two near-duplicates of it; the other rows nothing
        float[][] added = new float[H][0];
        added[2] = new float[]{500, 40, 501, 40, 500, 41};
        PatchMemory refined = memory.refine(added);
        assertThat(refined.perRow()).isEqualTo(8);
        assertThat(refined.size()).isEqualTo(memory.size());
        assertThat(refined.patches()).hasSameSizeAs(memory.patches());
        EmbeddingBatch unusual = EmbeddingBatch.allocate(W * H, 2, 1);
        for (int p = 0; p < W * H; p++) {
            unusual.set(p, 0, 0, 501);
            unusual.set(p, 1, 0, 40);
        }
        float[] before = memory.distances(unusual, 0, 1, 0, null, 0);
        float[] after = refined.distances(unusual, 0, 1, 0, null, 0);
        for (int p = 0; p < W * H; p++) {
            if (p / W == 2) {
                assertThat(before[p]).isGreaterThan(400f);
                assertThat(after[p]).isCloseTo(0f, within(1e-2f));
            } else {
                // rows with nothing added keep their memory: the band is 0
                assertThat(after[p]).isEqualTo(before[p]);
            }
        }
        // the near-duplicates need no place of their own: each is within 1 of the patch kept
        EmbeddingBatch duplicate = EmbeddingBatch.allocate(W * H, 2, 1);
        for (int p = 0; p < W * H; p++) {
            duplicate.set(p, 0, 0, 500);
            duplicate.set(p, 1, 0, 41);
        }
        assertThat(refined.distances(duplicate, 0, 1, 0, null, 0)[2 * W]).isLessThanOrEqualTo(1.5f);
        // what row 2 knew is still covered: each old patch is within the coreset's covering radius of one kept,
        // at most the spacing of the 8 kept out of 0..32 and the new ones, a few units
        float[] old = memory.patches();
        for (int k = 0; k < 8; k++) {
            int at = (2 * 8 + k) * 2;
            float v = old[at];
            float[] d = refined.distances(image((x, y) -> (int) v), 0, 1, 0, null, 0);
            assertThat(d[2 * W]).isLessThan(12f);
        }
        // the row's coarse cover, its first 6 patches in the greedy's order, is kept as it was
        assertThat(refined.kept()).isEqualTo(6);
        assertThat(java.util.Arrays.copyOfRange(refined.patches(), 2 * 8 * 2, (2 * 8 + 6) * 2))
                .containsExactly(java.util.Arrays.copyOfRange(old, 2 * 8 * 2, (2 * 8 + 6) * 2));
        // the memory it was refined from is unchanged
        assertThat(memory.distances(unusual, 0, 1, 0, null, 0)).containsExactly(before);
    }

    @Test
    void refiningRefusesPatchesThatDoNotFitTheMemory() {
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 16, 1);
        sampler.add(image((x, y) -> 100 * y + x), 0);
        PatchMemory memory = sampler.coreset(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.refine(new float[H - 1][0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 rows");
        float[][] odd = new float[H][0];
        odd[1] = new float[]{1, 2, 3};
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.refine(odd))
                .hasMessageContaining("whole patches");
        float[][] nan = new float[H][0];
        nan[0] = new float[]{1, Float.NaN};
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.refine(nan))
                .hasMessageContaining("not finite");
    }

    /**
     * A model whose appearance distance is a patch's Euclidean norm (mean 0, identity precision), with a memory of
     * the patches (v, 0) for v in 0..3 in every row, on scales of 1, gated at 5.
     */
    private static PadimModel euclideanModel() {
        int positions = W * H;
        float[][] identity = new float[positions][PackedTriangle.size(2)];
        for (float[] f : identity) {
            f[PackedTriangle.index(0, 0)] = 1;
            f[PackedTriangle.index(1, 1)] = 1;
        }
        GaussianModel gaussian = GaussianModel.of(positions, 2, new float[positions * 2], identity);
        PatchMemory.Sampler sampler = new PatchMemory.Sampler(W, H, 2, 16, 1);
        sampler.add(image((x, y) -> x), 0);
        sampler.add(image((x, y) -> 3), 0);
        PatchMemory memory = sampler.coreset(4);
        ModelInfo info = new ModelInfo(new ModelInfo.Backbone("test", "0".repeat(64), new int[]{1, 1, 0}, "resize",
                W * 4, H * 4), new ModelInfo.Embedding(W, H, new int[]{0, 1}, 1), new ModelInfo.Fit(0.01, 10),
                ThresholdStats.none(), ModelInfo.FrameScoring.PLAIN, new ModelInfo.Origin(java.time.Instant.EPOCH,
                "test", null));
        return new PadimModel(info.withMemory(new MemoryBlend(0, 0.9, 5, 1, 1, 4)), gaussian, null, memory);
    }

    @Test
    void aRefinementAddsOnlyThePatchesStillUnusualAndTheyThenScoreAsNormal() {
        try (PadimModel model = euclideanModel()) {
            // row 0: (2, 0), normal for its position (below the gate of 5); row 1: (9, 0), above the gate for its
            // position and 6 from the memory's nearest (3, 0), above it too; row 2: (40, 0), far above on both
            // counts; row 3: (7, 0), above the gate for its position but 4 from the memory: normal to it
            int[] rowValue = {2, 9, 40, 7};
            EmbeddingBatch frame = image((x, y) -> rowValue[y]);
            MemoryRefinement refinement = new MemoryRefinement(model, 2);
            refinement.offer(frame, 0, 1);
            assertThat(refinement.offered()).isEqualTo(W * H);
            // rows 1 (memory distance 6 > 5) and 2: three patches each, two kept per row
            assertThat(refinement.unusual()).isEqualTo(2L * W);
            assertThat(refinement.candidates()).isEqualTo(4);
            PatchMemory refined = refinement.refined();
            assertThat(refined.perRow()).isEqualTo(4);
            float[] after = refined.distances(frame, 0, 1, 0, null, 0);
            float[] before = model.memory().distances(frame, 0, 1, 0, null, 0);
            assertThat(before[2 * W]).isCloseTo(37f, within(1e-3f));
            assertThat(after[2 * W]).isCloseTo(0f, within(1e-3f));
            assertThat(after[W]).isCloseTo(0f, within(1e-3f));
            // rows 0 and 3 had nothing to add: unchanged
            assertThat(after[0]).isEqualTo(before[0]);
            assertThat(after[3 * W]).isEqualTo(before[3 * W]);
            // the blended distances of the confirmed frame: now the appearance is forgiven where it was not
            float[] appearance = model.gaussian().mahalanobis(frame, 0, 1);
            float[] blendedAfter = model.info().memory().apply(appearance, after);
            assertThat(blendedAfter[2 * W]).isCloseTo(0f, within(1e-3f));
            assertThat(blendedAfter[0]).isCloseTo(2f, within(1e-3f));
        }
    }

    @Test
    void aModelWithoutAMemoryCannotBeRefined() {
        try (PadimModel model = euclideanModel()) {
            PadimModel plain = new PadimModel(model.info().withMemory(null), model.gaussian());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MemoryRefinement(plain, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no patch memory");
        }
    }
}
