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
}
