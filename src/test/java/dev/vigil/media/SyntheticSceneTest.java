package dev.vigil.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SyntheticSceneTest {
    @Test
    void sameSeedGivesSamePixelsAndFramesRenderIndependently() {
        List<RgbImage> a = SyntheticScene.generate(96, 64, 12, 42L, 5, 9);
        List<RgbImage> b = SyntheticScene.generate(96, 64, 12, 42L, 5, 9);
        SyntheticScene scene = new SyntheticScene(96, 64, 42L, 5, 9);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).pixels()).isEqualTo(b.get(i).pixels());
        }
        assertThat(scene.frame(7).pixels()).isEqualTo(a.get(7).pixels());
        assertThat(SyntheticScene.generate(96, 64, 1, 43L, 5, 9).get(0).pixels()).isNotEqualTo(a.get(0).pixels());
    }

    @Test
    void normalFramesChangeLittleAndTheAnomalyChangesMuch() {
        SyntheticScene scene = new SyntheticScene(160, 120, 3L, 20, 30);
        double normal = VideoWriterTest.meanAbsError(scene.frame(10), scene.frame(11));
        double anomalous = VideoWriterTest.meanAbsError(scene.frame(10), scene.frame(25));
        assertThat(normal).isGreaterThan(0).isLessThan(5.0);
        assertThat(anomalous).isGreaterThan(normal * 2);
    }

    @Test
    void anomalyMaskCoversTheVehicleOnlyDuringTheRange() {
        SyntheticScene scene = new SyntheticScene(160, 120, 3L, 20, 30);
        assertThat(scene.isAnomalous(19)).isFalse();
        assertThat(scene.isAnomalous(20)).isTrue();
        assertThat(scene.isAnomalous(30)).isFalse();
        assertThat(ImageFilesTest.count(scene.anomalyMask(19))).isZero();
        assertThat(ImageFilesTest.count(scene.anomalyMask(25))).isEqualTo(160 / 4 * (120 / 5));
        boolean[] mask = scene.anomalyMask(25);
        RgbImage frame = scene.frame(25);
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                assertThat(frame.pixels()[i * 3 + 2] & 0xff).isLessThan(200); // yellow or window, never white
                assertThat(Math.max(frame.pixels()[i * 3] & 0xff, frame.pixels()[i * 3 + 1] & 0xff))
                        .isGreaterThan(80);
            }
        }
        assertThat(new SyntheticScene(160, 120, 3L, 0, 0).isAnomalous(0)).isFalse();
    }
}
