package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ThresholdRuleTest {
    /** 1, 2, ..., 101: the q quantile is 1 + 100 q */
    private static final ThresholdStats STATS = ThresholdStats.fromNormalScores(
            IntStream.rangeClosed(1, 101).mapToDouble(i -> 102 - i).toArray());

    @Test
    void theDefaultIsP99PlusItsDistanceFromTheMedian() {
        assertThat(STATS.threshold()).isCloseTo(100 + (100 - 51), within(1e-9));
        assertThat(STATS.rule()).isEqualTo("p99+1*(p99-p50)");
    }

    @Test
    void everyFormAppliesToTheStoredScoresAndPrintsCanonically() {
        assertThat(ThresholdRule.parse(" p99 + 0.5 * (p99 - p90) ").apply(STATS)).isCloseTo(100 + 0.5 * 9, within(1e-9));
        assertThat(ThresholdRule.parse("p99 + 0.5 * (p99 - p90)").toString()).isEqualTo("p99+0.5*(p99-p90)");
        assertThat(ThresholdRule.parse("quantile:0.999").apply(STATS)).isCloseTo(100.9, within(1e-9));
        assertThat(ThresholdRule.parse("quantile:0.999").toString()).isEqualTo("p99.9");
        assertThat(ThresholdRule.parse("p95").apply(STATS)).isCloseTo(96, within(1e-9));
        assertThat(ThresholdRule.parse("mean+3*std").apply(STATS)).isCloseTo(STATS.mean() + 3 * STATS.std(), within(1e-9));
        assertThat(ThresholdRule.parse("fixed:42.5").apply(ThresholdStats.none())).isEqualTo(42.5);
        assertThat(ThresholdRule.parse("p99").apply(ThresholdStats.none())).isNaN();
        assertThat(STATS.withRule(ThresholdRule.parse("p50")).threshold()).isEqualTo(51);
        assertThat(STATS.withThreshold(7).rule()).isEqualTo("fixed:7");
    }

    @Test
    void aMalformedRuleIsRefusedSayingWhatIsAccepted() {
        assertThatThrownBy(() -> ThresholdRule.parse("p99+")).hasMessageContaining("'p99+'")
                .hasMessageContaining("quantile:Q");
        assertThatThrownBy(() -> ThresholdRule.parse("quantile:1.5")).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> ThresholdRule.parse("p120")).hasMessageContaining("(0, 100]");
        assertThatThrownBy(() -> ThresholdRule.parse("p99+1*(p95-p50)")).hasMessageContaining("same percentile");
        assertThatThrownBy(() -> ThresholdRule.parse("fixed:x")).hasMessageContaining("'x' is not a number");
    }
}
