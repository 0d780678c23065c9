package dev.vigil.padim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class GaussianFitTest {
    private static final JsonNode VECTORS = SharedData.testVector("gaussian");
    private static final int N = VECTORS.get("samples").size();
    private static final int P = VECTORS.get("samples").get(0).size();
    private static final int D = VECTORS.get("samples").get(0).get(0).size();
    private static final double EPS = VECTORS.get("eps").asDouble();

    /** samples[n][p][c] from the test vector as an embedding batch of the given images. */
    private static EmbeddingBatch batch(JsonNode samples, int from, int to) {
        float[] flat = SharedData.flatFloats(samples);
        int images = to - from;
        EmbeddingBatch batch = EmbeddingBatch.allocate(P, D, images);
        for (int n = from; n < to; n++) {
            for (int p = 0; p < P; p++) {
                for (int c = 0; c < D; c++) {
                    batch.set(p, c, n - from, flat[(n * P + p) * D + c]);
                }
            }
        }
        return batch;
    }

    private static GaussianAccumulator fit(int... splits) {
        GaussianAccumulator acc = new GaussianAccumulator(P, D);
        int from = 0;
        for (int to : splits) {
            acc.add(batch(VECTORS.get("samples"), from, to), to - from);
            from = to;
        }
        return acc;
    }

    @Test
    void meanAndCovarianceMatchTheReference() {
        GaussianAccumulator acc = fit(N);
        double[] mean = SharedData.flat(VECTORS.get("mean"));
        double[] cov = SharedData.flat(VECTORS.get("covariance"));
        for (int p = 0; p < P; p++) {
            assertThat(acc.mean(p)).containsExactly(java.util.Arrays.copyOfRange(mean, p * D, (p + 1) * D), within(1e-6));
            assertThat(acc.covariance(p, EPS))
                    .containsExactly(java.util.Arrays.copyOfRange(cov, p * D * D, (p + 1) * D * D), within(1e-5));
        }
    }

    @Test
    void streamingInUnevenBatchesGivesTheSameFit() {
        GaussianAccumulator whole = fit(N);
        GaussianAccumulator streamed = fit(1, 5, 6, 17, N);
        for (int p = 0; p < P; p++) {
            assertThat(streamed.mean(p)).containsExactly(whole.mean(p), within(1e-9));
            assertThat(streamed.covariance(p, EPS)).containsExactly(whole.covariance(p, EPS), within(1e-5));
        }
    }

    @Test
    void partialFitsMergeIntoTheWholeFit() {
        GaussianAccumulator whole = fit(N);
        GaussianAccumulator first = new GaussianAccumulator(P, D);
        first.add(batch(VECTORS.get("samples"), 0, 10), 10);
        GaussianAccumulator second = new GaussianAccumulator(P, D);
        second.add(batch(VECTORS.get("samples"), 10, N), N - 10);
        first.merge(second);
        assertThat(first.count()).isEqualTo(N);
        for (int p = 0; p < P; p++) {
            assertThat(first.mean(p)).containsExactly(whole.mean(p), within(1e-9));
            assertThat(first.covariance(p, EPS)).containsExactly(whole.covariance(p, EPS), within(1e-5));
        }
    }

    @Test
    void mahalanobisDistancesMatchTheReference() {
        GaussianModel model = fit(N).finish(EPS, true);
        JsonNode queries = VECTORS.get("queries");
        int m = queries.size();
        float[] distances = model.mahalanobis(batch(queries, 0, m), m);
        double[] expected = SharedData.flat(VECTORS.get("distance"));
        assertThat(distances).hasSize(m * P);
        for (int i = 0; i < distances.length; i++) {
            assertThat((double) distances[i]).as("distance %d", i).isCloseTo(expected[i], within(1e-4 * Math.max(1, expected[i])));
        }
    }

    @Test
    void precisionFactorInvertsTheCovariance() {
        GaussianAccumulator acc = fit(N);
        double[] cov = acc.covariance(0, EPS);
        float[] w = PrecisionFactor.fromCovariance(cov, D, 0);
        // W cov W^T = I
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                double s = 0;
                for (int a = 0; a <= i; a++) {
                    for (int b = 0; b <= j; b++) {
                        s += w[PackedTriangle.rowStart(i) + a] * cov[a * D + b] * w[PackedTriangle.rowStart(j) + b];
                    }
                }
                assertThat(s).isCloseTo(i == j ? 1.0 : 0.0, within(1e-4));
            }
        }
    }

    @Test
    void factorsBeyondTwoGibibytesStayAddressable() {
        // 3600 positions x d = 550 is 2.18 GB of factors: offsets past 2^31 bytes (only two positions are touched)
        try (GaussianModel model = GaussianModel.allocate(3600, 550)) {
            float[] last = new float[PackedTriangle.size(550)];
            for (int i = 0; i < last.length; i++) {
                last[i] = i * 0.5f;
            }
            model.setFactor(3599, last);
            model.setFactor(0, last);
            assertThat(model.factor(3599)).containsExactly(last);
            assertThat(model.factorBuffer(3599).get(last.length - 1)).isEqualTo(last[last.length - 1]);
            assertThat(model.bytes()).isGreaterThan(1L << 31);
        }
    }

    @Test
    void batchesAddedTogetherGiveTheSameFitAsOneByOne() {
        GaussianAccumulator oneByOne = fit(7, 15, N);
        GaussianAccumulator together = new GaussianAccumulator(P, D);
        JsonNode samples = VECTORS.get("samples");
        together.add(java.util.List.of(batch(samples, 0, 7), batch(samples, 7, 15), batch(samples, 15, N)),
                new int[]{7, 8, N - 15});
        assertThat(together.count()).isEqualTo(N);
        for (int p = 0; p < P; p++) {
            assertThat(together.mean(p)).containsExactly(oneByOne.mean(p), within(1e-9));
            assertThat(together.covariance(p, EPS)).containsExactly(oneByOne.covariance(p, EPS), within(1e-5));
        }
    }
}
