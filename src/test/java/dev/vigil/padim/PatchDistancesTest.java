package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** How scoring settings turn both streams' and both memories' distances into the grid a frame is scored on. */
class PatchDistancesTest {
    /** Two frames of two patches; the second frame has a predecessor, the first not. */
    private static PatchDistances distances() {
        return new PatchDistances(2, 2, new float[]{4, 8, 4, 8}, new float[]{0, 0, 6, 1}, new boolean[]{false, true},
                new float[]{1, 1, 1, 1}, new float[]{9, 9, 1, 9});
    }

    @Test
    void eachMemoryLowersOnlyItsOwnStreamAboveItsGateOnItsScale() {
        PatchDistances d = distances();
        MotionBlend blend = new MotionBlend(1, 4, 2, 10);
        // no memory: (a/4 + m/2) x 4/2, a frame without a predecessor counting its motion as usual (m/2 = 1)
        float[] plain = d.grids(new ModelInfo.FrameScoring(FrameScore.MAX, blend));
        assertThat(plain).containsExactly(4f, 6f, 8f, 5f);
        // the appearance memory: scale ratio 4 / 1, gate 5: only the patches at 8 are lowered, to min(8, 1 x 4)
        MemoryBlend appearance = new MemoryBlend(1, 0.5, 5, 4, 1, 2);
        float[] a = d.grids(new ModelInfo.FrameScoring(FrameScore.MAX, blend, appearance));
        assertThat(a).containsExactly(4f, 4f, 8f, 3f);
        // the motion memory: scale ratio 2 / 1, gate 2: the second frame's first patch (motion 6) lowered to 2
        MemoryBlend motion = new MemoryBlend(1, 0.5, 2, 2, 1, 2);
        float[] both = d.grids(new ModelInfo.FrameScoring(FrameScore.MAX, blend, appearance, motion));
        assertThat(both[2]).isCloseTo(4f, within(1e-6f));
        assertThat(both[3]).isCloseTo(3f, within(1e-6f));
        assertThat(both[0]).isEqualTo(4f);
    }

    @Test
    void framesJoinAndSplitWithTheirMemoriesAndTheScalesCountOnlyFramesWithAPredecessor() {
        PatchDistances d = distances();
        PatchDistances joined = PatchDistances.concat(List.of(d.frame(0), d.frame(1)));
        assertThat(joined.memory()).containsExactly(d.memory());
        assertThat(joined.motionMemory()).containsExactly(d.motionMemory());
        // the second frame alone had a predecessor: its motion (6, 1) and motion memory (1, 9)
        assertThat(d.motionMemoryMean()).isEqualTo(5);
        assertThat(d.motionQuantile(1 - 1e-9)).isEqualTo(1);
        assertThat(d.motionQuantile(0)).isZero();
        assertThat(d.appearanceQuantile(0.5)).isEqualTo(4);
        assertThatThrownBy(() -> new PatchDistances(2, 2, new float[4], null, null, null, new float[4]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
