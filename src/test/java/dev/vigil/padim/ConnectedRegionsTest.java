package dev.vigil.padim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConnectedRegionsTest {

    /** '#' marks a mask pixel. */
    private static boolean[] mask(String... rows) {
        boolean[] mask = new boolean[rows.length * rows[0].length()];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[y].length(); x++) {
                mask[y * rows[0].length() + x] = rows[y].charAt(x) == '#';
            }
        }
        return mask;
    }

    @Test
    void diagonallyTouchingPixelsFormOneRegion() {
        ConnectedRegions regions = ConnectedRegions.of(mask(
                "#....",
                ".#...",
                "..#.#",
                "....#"), 5, 4);

        assertThat(regions.count()).isEqualTo(2);
        assertThat(regions.labels()).containsExactly(
                1, 0, 0, 0, 0,
                0, 1, 0, 0, 0,
                0, 0, 1, 0, 2,
                0, 0, 0, 0, 2);
        assertThat(regions.sizes()).containsExactly(15, 3, 2);
    }

    @Test
    void separatedBlobsAndAnEmptyMask() {
        ConnectedRegions regions = ConnectedRegions.of(mask(
                "##..#",
                "##..#",
                ".....",
                "#.###"), 5, 4);
        assertThat(regions.count()).isEqualTo(4);
        assertThat(regions.sizes()).containsExactly(10, 4, 2, 1, 3);

        assertThat(ConnectedRegions.of(new boolean[6], 3, 2).count()).isZero();
    }

    @Test
    void aFrameLongSerpentineIsOneRegion() {
        // one 43,000-pixel path: deep enough to overflow the stack of a recursive flood fill
        int width = 360;
        int height = 240;
        boolean[] snake = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean link = y % 4 == 1 ? x == width - 1 : y % 4 == 3 && x == 0;
                snake[y * width + x] = y % 2 == 0 || link;
            }
        }
        ConnectedRegions regions = ConnectedRegions.of(snake, width, height);
        assertThat(regions.count()).isEqualTo(1);
        assertThat(regions.sizes()[1]).isEqualTo(120 * width + 120);
    }

    @Test
    void rejectsAMaskOfTheWrongSize() {
        assertThatThrownBy(() -> ConnectedRegions.of(new boolean[5], 3, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3x2");
    }
}
