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

    @Test
    void outputsOfOtherShapesThanTheManifestsAreReportedAsTheModelMadeThem(@TempDir Path dir) throws IOException {
        Path path = copyManifest(dir, null);
        // layer1 declared at stride 8: the outputs written in place would be 8 x 8, the model makes 16 x 16
        Files.writeString(path, Files.readString(path).replaceFirst("\"stride\": 4", "\"stride\": 8"));
        try (OnnxBackbone backbone = OnnxBackbone.load(path)) {
            OnnxBackbone.Features f = backbone.run(new float[3 * 64 * 64], 1, 64, 64);
            assertThat(f.shapes().get(0)).containsExactly(1, 24, 16, 16);
            assertThat(f.layers().get(0)).hasSize(24 * 16 * 16);
        }
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

    /** What ONNX Runtime gives for the input with outputs it allocates itself, in a session of its own. */
    private static java.util.List<float[]> reference(BackboneManifest manifest, float[] input, int batch, int h, int w)
            throws Exception {
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (var session = env.createSession(manifest.modelPath().toString());
             var tensor = ai.onnxruntime.OnnxTensor.createTensor(env,
                     java.nio.FloatBuffer.wrap(input, 0, batch * 3 * h * w), new long[]{batch, 3, h, w});
             var result = session.run(java.util.Map.of(manifest.input().name(), tensor))) {
            java.util.List<float[]> out = new java.util.ArrayList<>();
            for (var o : manifest.outputs()) {
                var output = (ai.onnxruntime.OnnxTensor) result.get(o.name()).orElseThrow();
                java.nio.FloatBuffer b = output.getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                out.add(a);
            }
            return out;
        }
    }

    @Test
    void reusedBuffersGiveEachRunItsOwnOutputs() throws Exception {
        BackboneManifest manifest = BackboneManifest.read(SharedData.backbone("mobilenetv2-l123"));
        java.util.Random random = new java.util.Random(3);
        try (OnnxBackbone backbone = OnnxBackbone.load(manifest, OnnxBackbone.Device.CPU)) {
            // 64 x 48 is a multiple of every stride (outputs written in place); 40 x 40 is not (outputs allocated by
            // ONNX Runtime); batch sizes change between runs, as a fit's last batch does
            for (int[] run : new int[][]{{3, 64, 48}, {1, 64, 48}, {2, 40, 40}, {3, 64, 48}}) {
                int batch = run[0];
                int h = run[1];
                int w = run[2];
                float[] input = new float[batch * 3 * h * w];
                for (int i = 0; i < input.length; i++) {
                    input[i] = (float) random.nextGaussian();
                }
                OnnxBackbone.Features f = backbone.run(input, batch, h, w);
                java.util.List<float[]> expected = reference(manifest, input, batch, h, w);
                for (int l = 0; l < expected.size(); l++) {
                    assertThat(f.layers().get(l)).as("layer %d of %s", l + 1, java.util.Arrays.toString(run))
                            .containsExactly(expected.get(l));
                }
            }
        }
    }
}
