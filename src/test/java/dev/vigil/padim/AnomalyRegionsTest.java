package dev.vigil.padim;

import dev.vigil.backbone.Preprocessing;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Boxes of the thresholded map, and their way back into frame pixels. */
class AnomalyRegionsTest {
    @Test
    void regionsAboveTheThresholdBecomeBoxesLargestPeakFirstSpecksDropped() {
        int w = 20;
        int h = 10;
        float[] map = new float[w * h];
        fill(map, w, 2, 1, 4, 3, 5f);     // 4x3 block, peak 5
        fill(map, w, 12, 5, 6, 4, 9f);    // 6x4 block, peak 9
        map[9 * w + 19] = 20f;            // one pixel: a speck
        var regions = AnomalyRegions.find(map, w, h, 1.0, 2, 8);
        assertThat(regions).hasSize(2);
        assertThat(regions.get(0)).isEqualTo(new AnomalyRegions.Region(12, 5, 6, 4, 24, 9f));
        assertThat(regions.get(1)).isEqualTo(new AnomalyRegions.Region(2, 1, 4, 3, 12, 5f));
        assertThat(AnomalyRegions.find(map, w, h, 1.0, 1, 1)).singleElement()
                .satisfies(r -> assertThat(r.peak()).isEqualTo(20f));
        assertThat(AnomalyRegions.find(map, w, h, 100.0, 1, 8)).isEmpty();
    }

    @Test
    void boxesMapBackToTheFrameThroughResizeAndThroughTheCentreCrop() {
        Preprocessing resize = new Preprocessing(Preprocessing.Mode.RESIZE, 224, 224);
        // a 448x224 frame squeezed to 224x224: x doubles
        assertThat(resize.toFrame(10, 20, 30, 40, 448, 224)).containsExactly(20, 20, 60, 40);
        Preprocessing crop = new Preprocessing(Preprocessing.Mode.RESIZE_CROP, 224, 224);
        // 512x256 -> 512x256 at shorter side 256, crop offset (144, 16)
        assertThat(crop.toFrame(0, 0, 224, 224, 512, 256)).containsExactly(144, 16, 224, 224);
        // clipped to the frame
        assertThat(resize.toFrame(200, 200, 100, 100, 224, 224)).containsExactly(200, 200, 24, 24);
    }

    private static void fill(float[] map, int w, int x, int y, int bw, int bh, float v) {
        for (int yy = y; yy < y + bh; yy++) {
            for (int xx = x; xx < x + bw; xx++) {
                map[yy * w + xx] = v;
            }
        }
    }
}
