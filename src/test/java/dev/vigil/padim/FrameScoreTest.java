package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FrameScoreTest {
    @Test
    void maxIsTheMapsMaximumAndTopIsTheMeanOfTheHighestFractionOfTheGrid() {
        float[] grids = {9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 10, 0, 9, 9};
        float[] map = {1, 42, 3};
        assertThat(FrameScore.MAX.score(grids, 2, 10, 10, map)).isEqualTo(42f);
        // positions 2..11: 1..8, 10, 0; the top 20 % are 10 and 8
        assertThat(FrameScore.parse("top:0.2").score(grids, 2, 10, 10, map)).isCloseTo(9f, within(1e-6f));
        // a fraction below one patch still takes the highest one
        assertThat(FrameScore.parse("top:0.01").score(grids, 2, 10, 10, map)).isEqualTo(10f);
        assertThat(FrameScore.parse("top:1").score(grids, 2, 10, 10, map)).isCloseTo(4.6f, within(1e-6f));
        assertThat(grids[2]).as("the grid is left as it was").isEqualTo(1f);
    }

    @Test
    void oneRarePatchMovesMaxButHardlyTheTopMean() {
        float[] normal = new float[100];
        java.util.Arrays.fill(normal, 5);
        float[] rare = normal.clone();
        rare[17] = 50;
        float[] wide = normal.clone();
        for (int i = 0; i < 10; i++) {
            wide[i] = 20;
        }
        FrameScore top = FrameScore.parse("top:0.1");
        assertThat(top.score(rare, 0, 100, 10, rare)).isLessThan(top.score(wide, 0, 100, 10, wide));
        assertThat(FrameScore.MAX.score(rare, 0, 100, 10, rare)).isGreaterThan(FrameScore.MAX.score(wide, 0, 100, 10, wide));
    }

    @Test
    void parsesAndPrintsItsTwoFormsAndRefusesOthersSayingWhatIsAccepted() {
        assertThat(FrameScore.parse(" max ")).isEqualTo(FrameScore.MAX);
        assertThat(FrameScore.parse("top:0.05").toString()).isEqualTo("top:0.05");
        assertThat(FrameScore.parse(FrameScore.parse("top:0.05").toString())).isEqualTo(new FrameScore(0.05));
        for (String bad : new String[]{"top:0", "top:1.5", "top:x", "mean", ""}) {
            assertThatThrownBy(() -> FrameScore.parse(bad)).hasMessageContaining("max or top:F")
                    .hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void regionCountsTheStrongestConnectedRegionOfTheTopFractionOnly() {
        // a 10 x 10 grid at 1; an anomaly as one 2 x 2 block at 9, or a crowd of four single patches at 9
        float[] anomaly = new float[100];
        java.util.Arrays.fill(anomaly, 1);
        float[] crowd = anomaly.clone();
        for (int p : new int[]{44, 45, 54, 55}) {
            anomaly[p] = 9;
        }
        for (int p : new int[]{0, 9, 90, 99}) {
            crowd[p] = 9;
        }
        FrameScore top = FrameScore.parse("top:0.04");
        FrameScore region = FrameScore.parse("region:0.04");
        assertThat(top.score(anomaly, 0, 100, 10, null)).isEqualTo(top.score(crowd, 0, 100, 10, null)).isEqualTo(9f);
        assertThat(region.score(anomaly, 0, 100, 10, null)).isEqualTo(9f);
        // one walker of the four: a quarter of the top fraction
        assertThat(region.score(crowd, 0, 100, 10, null)).isEqualTo(2.25f);
        assertThat(region.toString()).isEqualTo("region:0.04");
        assertThat(FrameScore.parse(region.toString())).isEqualTo(region);
    }
}
