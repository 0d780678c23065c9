package dev.vigil.padim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AnomalyMapsTest {
    private static final JsonNode VECTORS = SharedData.testVector("anomaly_map");
    private static final float[] GRID = SharedData.flatFloats(VECTORS.get("grid"));
    private static final int G = VECTORS.get("grid").size();
    private static final int S = VECTORS.get("upsampled").size();

    private static void assertClose(float[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("pixel %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }

    @Test
    void bilinearUpsamplingWithHalfPixelCentresMatchesTheReference() {
        assertClose(AnomalyMaps.upsampleBilinear(GRID, G, G, S, S), SharedData.flat(VECTORS.get("upsampled")));
    }

    @Test
    void blurWithScipyReflectMatchesTheReference() {
        float[] up = AnomalyMaps.upsampleBilinear(GRID, G, G, S, S);
        assertClose(AnomalyMaps.gaussianBlur(up, S, S, 4.0, AnomalyMaps.Padding.REFLECT),
                SharedData.flat(VECTORS.get("blurred_reflect")));
    }

    @Test
    void blurWithTorchMirrorMatchesTheReference() {
        float[] up = AnomalyMaps.upsampleBilinear(GRID, G, G, S, S);
        assertClose(AnomalyMaps.gaussianBlur(up, S, S, 4.0, AnomalyMaps.Padding.MIRROR),
                SharedData.flat(VECTORS.get("blurred_mirror")));
    }

    @Test
    void kernelHasRadiusFourSigmaAndSumsToOne() {
        float[] k = AnomalyMaps.gaussianKernel(4.0);
        assertThat(k).hasSize(33);
        double sum = 0;
        for (float v : k) {
            sum += v;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void reflectionIndicesFollowBothConventions() {
        // n = 4: scipy reflect pads d c b a | a b c d | d c b a, torch pads d c b | a b c d | c b a
        assertThat(new int[]{AnomalyMaps.reflect(-1, 4, AnomalyMaps.Padding.REFLECT),
                AnomalyMaps.reflect(-4, 4, AnomalyMaps.Padding.REFLECT), AnomalyMaps.reflect(4, 4, AnomalyMaps.Padding.REFLECT)})
                .containsExactly(0, 3, 3);
        assertThat(new int[]{AnomalyMaps.reflect(-1, 4, AnomalyMaps.Padding.MIRROR),
                AnomalyMaps.reflect(-3, 4, AnomalyMaps.Padding.MIRROR), AnomalyMaps.reflect(4, 4, AnomalyMaps.Padding.MIRROR)})
                .containsExactly(1, 3, 2);
    }

    @Test
    void matrixFormMatchesUpsampleThenBlurForABatch() {
        float[] two = new float[2 * G * G];
        for (int i = 0; i < G * G; i++) {
            two[i] = GRID[i];
            two[G * G + i] = 2 * GRID[G * G - 1 - i];
        }
        try (AnomalyMapOperator op = new AnomalyMapOperator(G, G, S, S + 4, 4.0, AnomalyMaps.Padding.REFLECT)) {
            float[][] maps = op.apply(two, 2);
            for (int b = 0; b < 2; b++) {
                float[] grid = java.util.Arrays.copyOfRange(two, b * G * G, (b + 1) * G * G);
                float[] expected = AnomalyMaps.anomalyMap(grid, G, G, S, S + 4, 4.0, AnomalyMaps.Padding.REFLECT);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(maps[b][i]).isCloseTo(expected[i], within(1e-4f));
                }
            }
        }
        double[] reference = SharedData.flat(VECTORS.get("blurred_reflect"));
        try (AnomalyMapOperator op = AnomalyMapOperator.standard(G, G, S, S)) {
            assertClose(op.apply(GRID, 1)[0], reference);
        }
    }
}
