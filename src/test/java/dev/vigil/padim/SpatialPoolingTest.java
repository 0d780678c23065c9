package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SpatialPoolingTest {
    private static final int D = 2;

    /** A 3 x 2 grid of positions, each with its own 2-d Gaussian: position p's samples centred on (p, -p). */
    private static GaussianAccumulator fit() {
        int positions = 6;
        int images = 200;
        Random random = new Random(3);
        EmbeddingBatch batch = EmbeddingBatch.allocate(positions, D, images);
        for (int n = 0; n < images; n++) {
            for (int p = 0; p < positions; p++) {
                batch.set(p, 0, n, (float) (p + random.nextGaussian() * (1 + p)));
                batch.set(p, 1, n, (float) (-p + random.nextGaussian()));
            }
        }
        GaussianAccumulator acc = new GaussianAccumulator(positions, D);
        acc.add(batch, images);
        return acc;
    }

    /** The squared Mahalanobis distance of x from position p's Gaussian: |W (x - mu)|^2, W its precision factor. */
    private static double distance(GaussianModel model, int p, double... x) {
        float[] w = model.factor(p);
        double[] c = {x[0] - model.mean()[p * D], x[1] - model.mean()[p * D + 1]};
        double y0 = w[PackedTriangle.rowStart(0)] * c[0];
        double y1 = w[PackedTriangle.rowStart(1)] * c[0] + w[PackedTriangle.rowStart(1) + 1] * c[1];
        return y0 * y0 + y1 * y1;
    }

    /** The same from a full covariance, by the 2 x 2 inverse. */
    private static double distance(double[] mean, double[] cov, double... x) {
        double a = cov[0];
        double b = cov[1];
        double d = cov[3];
        double det = a * d - b * b;
        double c0 = x[0] - mean[0];
        double c1 = x[1] - mean[1];
        return (d * c0 * c0 - 2 * b * c0 * c1 + a * c1 * c1) / det;
    }

    @Test
    void aNegligibleKernelLeavesEachPositionsOwnGaussian() {
        GaussianAccumulator acc = fit();
        GaussianModel own = acc.finish(0.01, false);
        GaussianModel pooled = new SpatialPooling(0.05, 0.05).finish(acc, 0.01, 3, 2);
        for (int p = 0; p < 6; p++) {
            assertThat(distance(pooled, p, 1, 1)).isCloseTo(distance(own, p, 1, 1), within(1e-4));
        }
    }

    @Test
    void aWideKernelAlongTheRowsGivesEachRowTheMixtureOfItsPositions() {
        GaussianAccumulator acc = fit();
        // sigma 1000 along the rows: every position of a row weighs the same (to 1e-6); none across the rows
        GaussianModel pooled = new SpatialPooling(1000, 0).finish(acc, 0.01, 3, 2);
        for (int row = 0; row < 2; row++) {
            // the moment-matched mixture of the row's three Gaussians, equal weights
            double[] mean = new double[D];
            double[] second = new double[D * D];
            for (int x = 0; x < 3; x++) {
                int q = row * 3 + x;
                double[] mu = acc.mean(q);
                double[] cov = acc.covariance(q, 0);
                for (int i = 0; i < D; i++) {
                    mean[i] += mu[i] / 3;
                    for (int j = 0; j < D; j++) {
                        second[i * D + j] += (cov[i * D + j] + mu[i] * mu[j]) / 3;
                    }
                }
            }
            double[] cov = new double[D * D];
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    cov[i * D + j] = second[i * D + j] - mean[i] * mean[j] + (i == j ? 0.01 : 0);
                }
            }
            for (int x = 0; x < 3; x++) {
                int p = row * 3 + x;
                assertThat(pooled.mean()[p * D]).isCloseTo((float) mean[0], within(1e-5f));
                assertThat(distance(pooled, p, 4, -2)).isCloseTo(distance(mean, cov, 4, -2), within(1e-4));
            }
        }
    }

    @Test
    void poolingIsWrittenAsItIsParsed() {
        assertThat(SpatialPooling.parse("8x1")).isEqualTo(new SpatialPooling(8, 1));
        assertThat(SpatialPooling.parse("2")).isEqualTo(new SpatialPooling(2, 2));
        assertThat(SpatialPooling.parse("none").isNone()).isTrue();
        assertThat(new SpatialPooling(8, 1).toString()).isEqualTo("8x1");
        assertThat(new SpatialPooling(2.5, 0).toString()).isEqualTo("2.5x0");
        assertThatThrownBy(() -> SpatialPooling.parse("8x")).hasMessageContaining("'8x'");
        assertThatThrownBy(() -> SpatialPooling.parse("-1")).hasMessageContaining("'-1'");
    }
}
