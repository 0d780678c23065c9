package dev.vigil.evaluation;

import dev.vigil.padim.ConnectedRegions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class AnomalyMetricsTest {

    private static final double EXACT = 1e-9;

    /** The reference vectors, computed with numpy/scipy. */
    @Nested
    class AgainstTheTestVector {
        private static JsonNode vector;
        private static int width;
        private static int height;
        private static List<float[]> maps;
        private static List<boolean[]> masks;

        @BeforeAll
        static void load() throws IOException {
            Path file = Path.of(System.getProperty("vigil.shared"), "testvectors", "metrics.json");
            vector = new ObjectMapper().readTree(file.toFile());
            maps = new ArrayList<>();
            masks = new ArrayList<>();
            for (int k = 0; k < vector.get("maps").size(); k++) {
                JsonNode map = vector.get("maps").get(k); // [height][width]
                JsonNode mask = vector.get("masks").get(k);
                height = map.size();
                width = map.get(0).size();
                float[] flatMap = new float[width * height];
                boolean[] flatMask = new boolean[width * height];
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        flatMap[y * width + x] = (float) map.get(y).get(x).asDouble();
                        flatMask[y * width + x] = mask.get(y).get(x).asInt() != 0;
                    }
                }
                maps.add(flatMap);
                masks.add(flatMask);
            }
        }

        @Test
        void imageAuroc() {
            JsonNode scores = vector.get("scores");
            double[] s = new double[scores.size()];
            boolean[] labels = new boolean[scores.size()];
            for (int k = 0; k < s.length; k++) {
                s[k] = scores.get(k).asDouble();
                labels[k] = vector.get("labels").get(k).asInt() != 0;
            }
            double expected = vector.get("image_auroc").asDouble();

            assertThat(AnomalyMetrics.imageAuroc(s, labels)).isCloseTo(expected, within(EXACT));
            assertThat(AnomalyMetrics.roc(s, labels).area()).isCloseTo(expected, within(EXACT));
        }

        @Test
        void pixelAuroc() {
            assertThat(AnomalyMetrics.pixelAuroc(maps, masks))
                    .isCloseTo(vector.get("pixel_auroc").asDouble(), within(EXACT));
        }

        @Test
        void proUpToThirtyPercentFalsePositives() {
            // the third image has no anomalous pixel: it adds only normal pixels
            assertThat(masks.get(2)).doesNotContain(true);
            assertThat(AnomalyMetrics.pro(maps, masks, width, height, 0.3))
                    .isCloseTo(vector.get("pro_0_3").asDouble(), within(EXACT));
        }
    }

    @Nested
    class ImageAuroc {
        @Test
        void perfectSeparationIsOne() {
            assertThat(AnomalyMetrics.imageAuroc(new double[] {0.1, 0.2, 0.8, 0.9},
                    new boolean[] {false, false, true, true})).isEqualTo(1.0);
        }

        @Test
        void reversedSeparationIsZero() {
            assertThat(AnomalyMetrics.imageAuroc(new double[] {0.9, 0.8, 0.2},
                    new boolean[] {false, false, true})).isEqualTo(0.0);
        }

        @Test
        void allTiesAreOneHalf() {
            assertThat(AnomalyMetrics.imageAuroc(new double[] {3, 3, 3, 3, 3},
                    new boolean[] {true, false, false, true, false})).isEqualTo(0.5);
        }

        @Test
        void aTieBetweenClassesCountsOneHalf() {
            // pairs (p, n): (2,1) win, (2,2) tie, (3,1) win, (3,2) win -> 3.5 / 4
            assertThat(AnomalyMetrics.imageAuroc(new double[] {1, 2, 2, 3},
                    new boolean[] {false, false, true, true})).isEqualTo(0.875);
        }

        @Test
        void rejectsOneClassOnlyAndMismatchedLengths() {
            assertThatThrownBy(() -> AnomalyMetrics.imageAuroc(new double[] {1, 2}, new boolean[] {true, true}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 normal");
            assertThatThrownBy(() -> AnomalyMetrics.imageAuroc(new double[] {1, 2}, new boolean[] {false, false}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 anomalous");
            assertThatThrownBy(() -> AnomalyMetrics.imageAuroc(new double[] {1, 2}, new boolean[] {true}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 scores but 1 labels");
        }

        @Test
        void rocRunsFromOriginToOneOnePointPerDistinctScore() {
            RocCurve roc = AnomalyMetrics.roc(new double[] {1, 2, 2, 3}, new boolean[] {false, false, true, true});

            assertThat(roc.fpr()).containsExactly(0, 0, 0.5, 1);
            assertThat(roc.tpr()).containsExactly(0, 0.5, 1, 1);
            assertThat(roc.area()).isEqualTo(0.875);
        }
    }

    @Nested
    class PixelAuroc {
        @Test
        void poolsThePixelsOfAllImages() {
            List<float[]> maps = List.of(new float[] {0.1f, 0.9f}, new float[] {0.2f, 0.3f});
            List<boolean[]> masks = List.of(new boolean[] {false, true}, new boolean[] {false, false});
            assertThat(AnomalyMetrics.pixelAuroc(maps, masks)).isEqualTo(1.0);
        }

        @Test
        void signedZerosTie() {
            List<float[]> maps = List.of(new float[] {-0.0f, 0.0f});
            List<boolean[]> masks = List.of(new boolean[] {true, false});
            assertThat(AnomalyMetrics.pixelAuroc(maps, masks)).isEqualTo(0.5);
        }

        @Test
        void rejectsMismatchedShapes() {
            assertThatThrownBy(() -> AnomalyMetrics.pixelAuroc(List.of(new float[3]), List.of(new boolean[2])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("map 0");
            assertThatThrownBy(() -> AnomalyMetrics.pixelAuroc(List.of(new float[3]), List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 maps but 0 masks");
        }

        @Test
        void scalesToTwentyMillionPixels() {
            // integer scores 0..1023 are exact in float, so a histogram gives an independent exact answer
            int images = 100;
            int pixels = 200_000;
            Random random = new Random(7);
            List<float[]> maps = new ArrayList<>();
            List<boolean[]> masks = new ArrayList<>();
            long[] anomalousAt = new long[1024];
            long[] normalAt = new long[1024];
            for (int k = 0; k < images; k++) {
                float[] map = new float[pixels];
                boolean[] mask = new boolean[pixels];
                for (int q = 0; q < pixels; q++) {
                    mask[q] = random.nextInt(20) == 0;
                    int score = Math.min(1023, random.nextInt(700) + (mask[q] ? 250 : 0));
                    map[q] = score;
                    (mask[q] ? anomalousAt : normalAt)[score]++;
                }
                maps.add(map);
                masks.add(mask);
            }
            double twiceU = 0;
            long normalBelow = 0;
            long anomalous = 0;
            for (int s = 0; s < 1024; s++) {
                twiceU += anomalousAt[s] * (2.0 * normalBelow + normalAt[s]);
                normalBelow += normalAt[s];
                anomalous += anomalousAt[s];
            }
            double expected = twiceU / (2.0 * anomalous * normalBelow);

            assertThat(AnomalyMetrics.pixelAuroc(maps, masks)).isCloseTo(expected, within(EXACT));
        }
    }

    @Nested
    class Pro {
        @Test
        void aRegionHalfCoveredAtEveryFalsePositiveRate() {
            // 1 x 6 image: region {0, 1}; pixel 0 outscores every normal pixel, pixel 1 scores below all of them.
            // The curve is (0,0) -> (0, 0.5) -> (0.25, 0.5) -> ... : PRO is 0.5 up to fpr 1 - well above 0.3.
            float[] map = {10, 0, 5, 4, 3, 2};
            boolean[] mask = {true, true, false, false, false, false};

            assertThat(AnomalyMetrics.pro(List.of(map), List.of(mask), 6, 1, 0.3)).isCloseTo(0.5, within(EXACT));
        }

        @Test
        void interpolatesTheValueAtMaxFpr() {
            // one region pixel at 4.5 between normal pixels at 5 and 4:
            // points (0,0) (0.5,0) [threshold 5] (0.5,1) [4.5] (1,1) [4]; area up to 0.75 is 0.25, / 0.75
            float[] map = {4.5f, 5, 4};
            boolean[] mask = {true, false, false};
            assertThat(AnomalyMetrics.pro(List.of(map), List.of(mask), 3, 1, 0.75)).isCloseTo(1.0 / 3, within(EXACT));
            // tie of the region and a normal pixel at 5: one step (0,0) -> (0.5,1); interpolated value at 0.25 is 0.5
            float[] tied = {5, 5, 4};
            assertThat(AnomalyMetrics.pro(List.of(tied), List.of(mask), 3, 1, 0.25)).isCloseTo(0.25, within(EXACT));
        }

        @Test
        void averagesRegionsNotPixels() {
            // a 1-pixel region fully found and a 3-pixel region not found: mean overlap 0.5, pixel recall 0.25
            float[] map = {9, 0, 0, 0, 1, 2, 3, 4};
            boolean[] mask = {true, false, true, true, true, false, false, false};
            // region {0} and region {2,3,4} (pixel 1 separates them in a 1 x 8 row)
            assertThat(AnomalyMetrics.pro(List.of(map), List.of(mask), 8, 1, 0.5)).isCloseTo(0.5, within(EXACT));
        }

        @Test
        void agreesWithABruteForceSweepOnRandomImagesWithTies() {
            Random random = new Random(11);
            for (int trial = 0; trial < 20; trial++) {
                int width = 13;
                int height = 9;
                List<float[]> maps = new ArrayList<>();
                List<boolean[]> masks = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    float[] map = new float[width * height];
                    boolean[] mask = new boolean[width * height];
                    for (int q = 0; q < map.length; q++) {
                        mask[q] = k != 3 && random.nextInt(5) == 0; // the last image is all normal
                        map[q] = random.nextInt(30) + (mask[q] ? 8 : 0) - 10; // few values: many ties, some negative
                    }
                    maps.add(map);
                    masks.add(mask);
                }
                double maxFpr = 0.05 + 0.9 * random.nextDouble();

                assertThat(AnomalyMetrics.pro(maps, masks, width, height, maxFpr))
                        .as("trial %d", trial)
                        .isCloseTo(bruteForcePro(maps, masks, width, height, maxFpr), within(EXACT));
            }
        }

        @Test
        void rejectsABadMaxFprOrNoAnomalousPixels() {
            List<float[]> maps = List.of(new float[4]);
            assertThatThrownBy(() -> AnomalyMetrics.pro(maps, List.of(new boolean[] {true, false, false, false}),
                    2, 2, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxFpr");
            assertThatThrownBy(() -> AnomalyMetrics.pro(maps, List.of(new boolean[4]), 2, 2, 0.3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 anomalous");
            assertThatThrownBy(() -> AnomalyMetrics.pro(maps, List.of(new boolean[4]), 4, 2, 0.3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4x2");
        }

        /** The reference's definition, literally: every distinct score as a threshold, from (0, 0). */
        private double bruteForcePro(List<float[]> maps, List<boolean[]> masks, int width, int height,
                double maxFpr) {
            List<int[]> labels = new ArrayList<>();
            List<int[]> sizes = new ArrayList<>();
            int regions = 0;
            long normal = 0;
            TreeSet<Float> thresholds = new TreeSet<>();
            for (int k = 0; k < maps.size(); k++) {
                ConnectedRegions r = ConnectedRegions.of(masks.get(k), width, height);
                labels.add(r.labels());
                sizes.add(r.sizes());
                regions += r.count();
                for (int q = 0; q < width * height; q++) {
                    normal += masks.get(k)[q] ? 0 : 1;
                    thresholds.add(maps.get(k)[q]);
                }
            }
            List<double[]> curve = new ArrayList<>();
            curve.add(new double[] {0, 0});
            for (float t : thresholds.descendingSet()) {
                long falsePositives = 0;
                double overlap = 0;
                for (int k = 0; k < maps.size(); k++) {
                    int[] found = new int[sizes.get(k).length];
                    for (int q = 0; q < width * height; q++) {
                        if (maps.get(k)[q] >= t) {
                            found[labels.get(k)[q]]++;
                        }
                    }
                    falsePositives += found[0];
                    for (int r = 1; r < found.length; r++) {
                        overlap += (double) found[r] / sizes.get(k)[r];
                    }
                }
                curve.add(new double[] {(double) falsePositives / normal, overlap / regions});
            }
            double area = 0;
            for (int p = 1; p < curve.size(); p++) {
                double[] a = curve.get(p - 1);
                double[] b = curve.get(p);
                if (b[0] > maxFpr) {
                    double atMax = a[1] + (b[1] - a[1]) * (maxFpr - a[0]) / (b[0] - a[0]);
                    area += (maxFpr - a[0]) * (a[1] + atMax) / 2;
                    break;
                }
                area += (b[0] - a[0]) * (a[1] + b[1]) / 2;
            }
            return area / maxFpr;
        }
    }
}
