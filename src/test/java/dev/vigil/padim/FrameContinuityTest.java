package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FrameContinuityTest {
    @Test
    void aFrameFollowsTheLastWhenItIsTheNextNumberWithinTwoUsualIntervals() {
        FrameContinuity c = new FrameContinuity();
        assertThat(c.next(0, 1_000)).as("the first frame follows nothing").isFalse();
        assertThat(c.next(1, 1_100)).isTrue();
        assertThat(c.next(2, 1_200)).isTrue();
        // a frame dropped (late, undecodable): the number skips
        assertThat(c.next(4, 1_400)).isFalse();
        assertThat(c.next(5, 1_500)).isTrue();
        // the next number, but after a stall of more than two intervals
        assertThat(c.next(6, 1_750)).isFalse();
        assertThat(c.next(7, 1_850)).isTrue();
        // jitter within two intervals is no gap, and one stall does not move the usual interval
        assertThat(c.next(8, 2_030)).isTrue();
        assertThat(c.next(9, 2_130)).isTrue();
        // out of order, or a restarted numbering
        assertThat(c.next(3, 2_200)).isFalse();
        assertThat(c.next(4, 2_100)).isFalse();
        c.reset();
        assertThat(c.next(5, 2_200)).isFalse();
        assertThat(c.next(6, 2_300)).isTrue();
    }

    @Test
    void framesWithoutNumbersFollowEachOther() {
        FrameContinuity c = new FrameContinuity();
        assertThat(c.next(-1, 0)).isFalse();
        assertThat(c.next(-1, 0)).isTrue();
        assertThat(c.next(-1, 0)).isTrue();
    }
}
