package dev.vigil.padim;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CellAccumulatorTest {
    /** strides 4, 8 and 16 over a 64 x 48 input: nested cells, as the real backbones have */
    private static final List<LayerShape> NESTED =
            List.of(new LayerShape(6, 16, 12), new LayerShape(5, 8, 6), new LayerShape(7, 4, 3));

    private static List<float[]> outputs(List<LayerShape> shapes, int images, Random random) {
        return shapes.stream().map(s -> {
            float[] v = new float[images * s.channels() * s.height() * s.width()];
            for (int i = 0; i < v.length; i++) {
                // an offset, so that centring matters, and channel-to-channel correlation through a shared term
                v[i] = 3f + (float) random.nextGaussian() + 0.5f * (i % 7);
            }
            return v;
        }).toList();
    }

    /** The same frames fitted per position from the grid embedding and per cell from the planes. */
    private static void assertSameFit(List<LayerShape> shapes, int[] keep) {
        Embeddings layout = new Embeddings(shapes, keep);
        GaussianAccumulator perPosition = new GaussianAccumulator(layout.positions(), keep.length);
        CellAccumulator perCell = new CellAccumulator(layout);
        Random random = new Random(11);
        for (int[] sizes : new int[][]{{5}, {7, 3}, {1}, {9, 9, 2}}) {
            List<EmbeddingBatch> grid = new java.util.ArrayList<>();
            List<EmbeddingPlanes> planes = new java.util.ArrayList<>();
            for (int n : sizes) {
                List<float[]> out = outputs(shapes, n, random);
                EmbeddingBatch g = EmbeddingBatch.allocate(layout.positions(), keep.length, n);
                layout.extract(out, n, g);
                EmbeddingPlanes p = layout.allocatePlanes(n);
                layout.extractPlanes(out, n, p);
                grid.add(g);
                planes.add(p);
            }
            perPosition.add(grid, sizes);
            perCell.add(planes, sizes);
        }
        assertThat(perCell.count()).isEqualTo(perPosition.count()).isEqualTo(36);
        GaussianAccumulator expanded = perCell.toAccumulator();
        for (int p = 0; p < layout.positions(); p++) {
            assertThat(perCell.mean(p)).as("mean of %d", p).containsExactly(perPosition.mean(p), within(1e-9));
            double[] expected = perPosition.covariance(p, 0.01);
            assertThat(perCell.covariance(p, 0.01)).as("covariance of %d", p).containsExactly(expected, within(1e-5));
            assertThat(expanded.covariance(p, 0.01)).containsExactly(perCell.covariance(p, 0.01));
            assertThat(expanded.mean(p)).containsExactly(perCell.mean(p));
        }
        assertThat(perCell.bytes()).isLessThan(perPosition.bytes());
        GaussianModel a = perPosition.finish(0.01, true);
        GaussianModel b = perCell.finish(0.01, true);
        assertThat(b.mean()).containsExactly(a.mean(), within(1e-6f));
    }

    @Test
    void perCellSumsAreThePerPositionFitOfTheSameFrames() {
        assertSameFit(NESTED, ChannelSelection.random(18, 11, 3));
    }

    @Test
    void aLayerWithNoKeptChannelIsLeftOut() {
        // channels 6..10 (layer 2) all dropped
        assertSameFit(NESTED, new int[]{0, 2, 5, 11, 12, 15, 17});
    }

    @Test
    void onlyNestedLayerByLayerSelectionsAreKeptPerCell() {
        // 15 x 9 over 8 x 5 and 4 x 3: a layer-2 cell spans two layer-3 cells
        List<LayerShape> uneven = List.of(new LayerShape(6, 15, 9), new LayerShape(5, 8, 5), new LayerShape(7, 4, 3));
        Embeddings notNested = new Embeddings(uneven, new int[]{0, 7, 12});
        assertThat(notNested.cellStructured()).isFalse();
        assertThat(GaussianSums.forPlanes(notNested)).isInstanceOf(GaussianAccumulator.class);
        assertThatThrownBy(() -> new CellAccumulator(notNested)).hasMessageContaining("nested cells");

        Embeddings unsorted = new Embeddings(NESTED, new int[]{12, 0, 7});
        assertThat(unsorted.cellStructured()).isFalse();
        Embeddings sorted = new Embeddings(NESTED, new int[]{0, 7, 12});
        assertThat(GaussianSums.forPlanes(sorted)).isInstanceOf(CellAccumulator.class);
    }

    @Test
    void aPerCellFitTakesOnlyItsOwnPlanes() {
        Embeddings layout = new Embeddings(NESTED, new int[]{0, 7, 12});
        CellAccumulator sums = new CellAccumulator(layout);
        EmbeddingBatch grid = EmbeddingBatch.allocate(layout.positions(), 3, 2);
        assertThatThrownBy(() -> sums.add(grid, 2)).hasMessageContaining("planes of its own embedding");
        Embeddings other = new Embeddings(NESTED, new int[]{0, 7, 12});
        assertThatThrownBy(() -> sums.add(other.allocatePlanes(2), 2)).hasMessageContaining("planes of its own");
    }

    @Test
    void mobilenetWidthsAtTheDefaultSizeHoldLessThanHalf() {
        Embeddings layout = new Embeddings(List.of(new LayerShape(24, 56, 56), new LayerShape(32, 28, 28),
                new LayerShape(96, 14, 14)), ChannelSelection.random(152, 100, 1));
        assertThat(layout.cellStructured()).isTrue();
        long perPosition = new GaussianAccumulator(layout.positions(), 100).bytes();
        assertThat(new CellAccumulator(layout).bytes()).isLessThan(perPosition / 2)
                .isEqualTo(GaussianSums.bytesForPlanes(layout)).isEqualTo(50_116_416L);
    }
}
