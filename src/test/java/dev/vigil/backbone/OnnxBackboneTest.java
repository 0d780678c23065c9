package dev.vigil.backbone;

import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxBackboneTest {

    @Test
    void mobilenetGivesThreeFeatureMapsOfTheManifestShapes() throws IOException {
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            assertThat(backbone.provider()).isEqualTo("CPU");
            float[] input = new float[2 * 3 * 96 * 128];
            OnnxBackbone.Features f = backbone.run(input, 2, 96, 128);
            assertThat(f.shapes()).satisfiesExactly(
                    s -> assertThat(s).containsExactly(2, 24, 24, 32),
                    s -> assertThat(s).containsExactly(2, 32, 12, 16),
                    s -> assertThat(s).containsExactly(2, 96, 6, 8));
            assertThat(f.layers().get(0)).hasSize(2 * 24 * 24 * 32);
        }
    }

    @Test
    void anOnnxFileWhoseSha256DiffersFromTheManifestIsRefused(@TempDir Path dir) throws IOException {
        Path manifest = copyManifest(dir, "\"sha256\": \"" + "0".repeat(64) + "\"");
        assertThatThrownBy(() -> OnnxBackbone.load(manifest))
                .hasMessageContaining("mobilenetv2-l123.onnx").hasMessageContaining("sha256")
                .hasMessageContaining("0".repeat(64));
    }

    @Test
    void aManifestNamingAnOutputTheModelLacksIsRefused(@TempDir Path dir) throws IOException {
        Path manifest = copyManifest(dir, null);
        Files.writeString(manifest, Files.readString(manifest).replace("\"layer3\"", "\"layer9\""));
        assertThatThrownBy(() -> OnnxBackbone.load(manifest)).hasMessageContaining("no output 'layer9'");
    }

    @Test
    void anInvalidManifestNamesTheFileAndTheProblem(@TempDir Path dir) throws IOException {
        Path manifest = dir.resolve("broken.json");
        Files.writeString(manifest, "{\"name\": \"x\", \"file\": \"x.onnx\", \"input\": {\"name\": \"image\", "
                + "\"scale\": 1, \"mean\": [0, 0], \"std\": [1, 1, 1]}, \"outputs\": []}");
        assertThatThrownBy(() -> BackboneManifest.read(manifest))
                .hasMessageContaining(manifest.toString())
                .hasMessageContaining("'input.mean' needs 3 values")
                .hasMessageContaining("'outputs' must list");
        assertThatThrownBy(() -> BackboneManifest.read(dir.resolve("missing.json"))).hasMessageContaining("does not exist");
    }

    /** The shared manifest in a temp folder pointing at the shared ONNX file; optionally with its sha256 replaced. */
    private static Path copyManifest(Path dir, String sha256Line) throws IOException {
        Path shared = SharedData.backbone("mobilenetv2-l123");
        String json = Files.readString(shared).replace("\"file\": \"mobilenetv2-l123.onnx\"",
                "\"file\": \"" + shared.getParent().resolve("mobilenetv2-l123.onnx") + "\"");
        if (sha256Line != null) {
            json = json.replaceAll("\"sha256\": \"[0-9a-f]+\"", sha256Line);
        }
        Path out = dir.resolve("manifest.json");
        Files.writeString(out, json);
        return out;
    }
}
