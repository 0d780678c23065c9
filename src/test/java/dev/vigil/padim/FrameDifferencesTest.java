package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FrameDifferencesTest {
    /** A batch whose image b, position p, feature k holds {@code 100 b + 10 p + k} plus the frame offset. */
    private static EmbeddingBatch frames(int positions, int d, int images, int offset) {
        EmbeddingBatch batch = EmbeddingBatch.allocate(positions, d, images);
        for (int p = 0; p < positions; p++) {
            for (int b = 0; b < images; b++) {
                for (int k = 0; k < d; k++) {
                    batch.set(p, k, b, (offset + b) * (p + 1) * (k + 2));
                }
            }
        }
        return batch;
    }

    @Test
    void eachFrameMinusTheOneBeforeItAcrossBatchesAndNoneAfterAReset() {
        FrameDifferences diff = new FrameDifferences(3, 2);
        boolean[] valid = new boolean[4];
        // images 1..3 of a batch of 4 (image 0 belongs to another camera)
        EmbeddingBatch out = diff.next(frames(3, 2, 4, 0), 1, 3, valid);
        assertThat(valid).containsExactly(false, true, true, false);
        assertThat(out.get(2, 1, 0)).isZero();
        // frame t holds t (p + 1)(k + 2): consecutive frames differ by (p + 1)(k + 2)
        assertThat(out.get(2, 1, 1)).isEqualTo(3 * 3);
        assertThat(out.get(0, 0, 2)).isEqualTo(2);

        // the next batch starts where the last one ended (frame 3), its first image is frame 10
        out = diff.next(frames(3, 2, 2, 10), 0, 2, valid);
        assertThat(valid[0]).isTrue();
        assertThat(out.get(1, 1, 0)).isEqualTo((10 - 3) * 2 * 3);
        assertThat(out.get(1, 1, 1)).isEqualTo(2 * 3);

        diff.reset();
        diff.next(frames(3, 2, 1, 0), 0, 1, valid);
        assertThat(valid[0]).isFalse();
        assertThatThrownBy(() -> diff.next(frames(4, 2, 1, 0), 0, 1, valid)).hasMessageContaining("4 positions");
    }

    @Test
    void aFrameThatDoesNotFollowTheOneBeforeItGetsNoDifference() {
        FrameDifferences diff = new FrameDifferences(2, 2);
        boolean[] valid = new boolean[4];
        // frames 0..3, frame 2 starting a new clip
        EmbeddingBatch out = diff.next(frames(2, 2, 4, 0), 0, 4, new boolean[]{true, true, false, true}, valid);
        assertThat(valid).containsExactly(false, true, false, true);
        assertThat(out.get(1, 1, 2)).isZero();
        assertThat(out.get(1, 1, 3)).isEqualTo(2 * 3);
        // the next batch's first frame does not follow frame 3 either
        diff.next(frames(2, 2, 1, 4), 0, 1, new boolean[]{false}, valid);
        assertThat(valid[0]).isFalse();
    }

    @Test
    void theBlendIsTheAppearanceWhereMotionIsAsUsualAndRisesWithUnusualMotion() {
        float[] appearance = {8, 4, 8, 4};
        float[] motion = {5, 5, 15, 15};
        // two images of two positions; scales 4 and 5, weight 3
        float[] blend = FrameDifferences.blend(appearance, motion, new boolean[]{true, true}, 2, 2, 3, 4, 5);
        assertThat(blend[0]).isCloseTo((2 + 3 * 1) * 4f / 4, within(1e-5f));
        assertThat(blend[1]).isCloseTo((1 + 3 * 1) * 4f / 4, within(1e-5f));
        assertThat(blend[2]).isCloseTo((2 + 3 * 3) * 4f / 4, within(1e-5f));
        // no previous frame: motion counts as usual, whatever the array holds
        float[] first = FrameDifferences.blend(appearance, motion, new boolean[]{false, true}, 2, 2, 3, 4, 5);
        assertThat(first[1]).isCloseTo(4f, within(1e-5f));
        // motion as usual everywhere: the appearance itself
        float[] usual = FrameDifferences.blend(appearance, new float[]{5, 5, 5, 5}, new boolean[]{true, true}, 2, 2,
                3, 4, 5);
        assertThat(usual[0]).isCloseTo(5f, within(1e-5f));
        assertThatThrownBy(() -> FrameDifferences.blend(appearance, motion, new boolean[2], 2, 2, 3, 0, 5))
                .hasMessageContaining("positive scales");
    }
}
