package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PositionExtremesTest {
    @Test
    void aBusyPositionForgivesMoreThanAQuietOneAndTheGumbelMomentsAreFitted() {
        // two positions, 4 blocks of 2 frames: position 0's block maxima 1, 3, 1, 3; position 1's always 2
        float[] grids = {1, 2, 0, 2, 3, 2, 2, 2, 1, 2, 0, 1, 3, 2, 0, 0};
        PositionExtremes e = PositionExtremes.fit(grids, 8, 2, 2);
        // maxima of position 0: mean 2, sample std sqrt(4/3): beta = sqrt(6 x 4/3) / pi, mu = 2 - gamma beta
        double beta = Math.sqrt(8) / Math.PI;
        assertThat(e.scale()[0]).isCloseTo((float) beta, within(1e-5f));
        assertThat(e.location()[0]).isCloseTo((float) (2 - 0.5772156649 * beta), within(1e-5f));
        // position 1 never varied: its scale is the floor, a tenth of the mean scale
        assertThat(e.scale()[1]).isCloseTo((float) (0.1 * beta / 2), within(1e-5f));
        // the same excess of 2 over the location is extreme at the quiet position, ordinary at the busy one
        float[] z = e.standardise(new float[]{e.location()[0] + 2, e.location()[1] + 2}, 1);
        assertThat(z[1]).isGreaterThan(10 * z[0]);
        assertThatThrownBy(() -> PositionExtremes.fit(grids, 3, 2, 2)).hasMessageContaining("two blocks");
    }
}
