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
}
