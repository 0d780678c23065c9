package dev.vigil.padim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingsTest {
    private static final JsonNode VECTORS = SharedData.testVector("embedding");

    private static LayerShape shape(JsonNode layer) {
        return new LayerShape(layer.size(), layer.get(0).size(), layer.get(0).get(0).size());
    }

    private static final List<String> NAMES = List.of("layer1", "layer2", "layer3");
    private static final List<LayerShape> SHAPES = NAMES.stream().map(n -> shape(VECTORS.get(n))).toList();
    private static final List<float[]> VALUES = NAMES.stream().map(n -> SharedData.flatFloats(VECTORS.get(n))).toList();

    @Test
    void concatenationMatchesTheReference() {
        float[] expected = SharedData.flatFloats(VECTORS.get("embedding"));
        assertThat(Embeddings.concatenate(SHAPES, VALUES)).containsExactly(expected);
    }

    @Test
    void selectedChannelsOfABatchAreThoseOfTheFullEmbedding() {
        float[] full = Embeddings.concatenate(SHAPES, VALUES);
        int total = Embeddings.totalChannels(SHAPES);
        int[] keep = ChannelSelection.random(total, 4, 7);
        Embeddings embeddings = new Embeddings(SHAPES, keep);
        // a batch of two images where image 1 is image 0 negated
        List<float[]> batch = VALUES.stream().map(v -> {
            float[] two = new float[v.length * 2];
            for (int i = 0; i < v.length; i++) {
                two[i] = v[i];
                two[v.length + i] = -v[i];
            }
            return two;
        }).toList();
        EmbeddingBatch out = EmbeddingBatch.allocate(embeddings.positions(), keep.length, 2);
        embeddings.extract(batch, 2, out);
        int plane = embeddings.positions();
        for (int p = 0; p < plane; p++) {
            for (int k = 0; k < keep.length; k++) {
                assertThat(out.get(p, k, 0)).isEqualTo(full[keep[k] * plane + p]);
                assertThat(out.get(p, k, 1)).isEqualTo(-full[keep[k] * plane + p]);
            }
        }
    }

    @Test
    void channelSelectionIsReproducibleDistinctAndSorted() {
        int[] a = ChannelSelection.random(1792, 550, 42);
        assertThat(a).isEqualTo(ChannelSelection.random(1792, 550, 42));
        assertThat(a).isSorted().doesNotHaveDuplicates().hasSize(550);
        assertThat(a).isNotEqualTo(ChannelSelection.random(1792, 550, 43));
        assertThatThrownBy(() -> ChannelSelection.random(152, 200, 1)).hasMessageContaining("1..152");
    }

    @Test
    void planesHandTheFitTheSameRowsAndTheSameFitAsTheGridEmbedding() {
        // an uneven grid (15 x 9 over 8 x 5 and 4 x 3): nearest repetition that is not a plain 2x or 4x
        List<LayerShape> shapes = List.of(new LayerShape(6, 15, 9), new LayerShape(5, 8, 5), new LayerShape(7, 4, 3));
        int[] keep = ChannelSelection.random(Embeddings.totalChannels(shapes), 11, 3);
        Embeddings embeddings = new Embeddings(shapes, keep);
        int images = 7;
        java.util.Random random = new java.util.Random(5);
        List<float[]> outputs = shapes.stream().map(s -> {
            float[] v = new float[images * s.channels() * s.height() * s.width()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            return v;
        }).toList();
        EmbeddingBatch grid = EmbeddingBatch.allocate(embeddings.positions(), keep.length, images);
        embeddings.extract(outputs, images, grid);
        EmbeddingPlanes planes = embeddings.allocatePlanes(images);
        embeddings.extractPlanes(outputs, images, planes);
        assertThat(embeddings.planeFloats()).isLessThan(embeddings.positions() * keep.length);

        int tile = 16;
        int block = images * keep.length + 3;
        for (int p0 = 0; p0 < embeddings.positions(); p0 += tile) {
            int t = Math.min(tile, embeddings.positions() - p0);
            float[] fromGrid = new float[tile * block];
            float[] fromPlanes = new float[tile * block];
            grid.gather(images - 2, p0, t, fromGrid, block, 1);
            planes.gather(images - 2, p0, t, fromPlanes, block, 1);
            assertThat(fromPlanes).as("positions %d..", p0).containsExactly(fromGrid);
        }
        GaussianAccumulator a = new GaussianAccumulator(embeddings.positions(), keep.length);
        GaussianAccumulator b = new GaussianAccumulator(embeddings.positions(), keep.length);
        a.add(List.of(grid, grid), new int[]{images, 4});
        b.add(List.of(planes, planes), new int[]{images, 4});
        for (int p = 0; p < embeddings.positions(); p++) {
            assertThat(b.mean(p)).containsExactly(a.mean(p));
            assertThat(b.covariance(p, 0.01)).containsExactly(a.covariance(p, 0.01));
        }
    }
}
