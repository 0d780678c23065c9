package dev.vigil.backbone;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.vigil.integrity.FileDigests;
import dev.vigil.onnx.OnnxProto;
import dev.vigil.onnx.OnnxProto.ModelProto;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BackboneImporterTest {
    private static final Path RESNET = SharedData.root().resolve("backbones/resnet50v2-l123.onnx");
    private static final Path MOBILENET = SharedData.root().resolve("backbones/mobilenetv2-l123.onnx");

    private static BackboneImporter.Options options(Path onnx, List<String> layers, Path out, int size) {
        return new BackboneImporter.Options(onnx, layers, "imported", BackboneImporter.SCALE_0_1,
                BackboneImporter.IMAGENET_MEAN, BackboneImporter.IMAGENET_STD, "RGB", size, size, out);
    }

    @Test
    void resnetWithThreeInnerTensorsAsLayersComputesExactlyThoseTensors(@TempDir Path dir) throws Exception {
        // the last blocks but one of stages 1, 2 and 3, not the file's own outputs
        List<String> inner = List.of("add26", "add67", "add128");
        BackboneImporter.Result result = BackboneImporter.run(options(RESNET, inner, dir, 128));

        assertThat(result.outputs()).containsExactly(new BackboneManifest.Output("layer1", 256, 4),
                new BackboneManifest.Output("layer2", 512, 8), new BackboneManifest.Output("layer3", 1024, 16));
        assertThat(result.dynamic()).containsExactly("batch", "height", "width");
        BackboneManifest manifest = BackboneManifest.read(result.manifest());
        assertThat(manifest.sha256()).isEqualTo(FileDigests.sha256(result.model()));
        assertThat(manifest.modelPath()).isEqualTo(result.model().toAbsolutePath());
        assertThat(Files.size(result.model())).isLessThan(Files.size(RESNET));

        // reference: the original file with those tensors added as outputs, built here with the protobuf API alone
        ModelProto.Builder original = ModelProto.parseFrom(Files.readAllBytes(RESNET)).toBuilder();
        inner.forEach(t -> original.getGraphBuilder().addOutput(OnnxProto.ValueInfoProto.newBuilder().setName(t)));
        float[] image = noise(2 * 3 * 96 * 160, 11);
        long[] shape = {2, 3, 96, 160};
        Map<String, float[]> want = run(original.build().toByteArray(), image, shape, inner);
        Map<String, float[]> got = run(Files.readAllBytes(result.model()), image, shape,
                List.of("layer1", "layer2", "layer3"));
        for (int i = 0; i < 3; i++) {
            float[] w = want.get(inner.get(i));
            float[] g = got.get("layer" + (i + 1));
            assertThat(g).hasSameSizeAs(w);
            assertThat(maxAbsDifference(w, g)).as("layer%d against %s", i + 1, inner.get(i))
                    .isCloseTo(0, within(1e-4 * maxAbs(w)));
        }
    }

    @Test
    void tensorsAlreadyNamedLikeTheNewOutputsAreRenamedOutOfTheWay(@TempDir Path dir) throws Exception {
        // the shared file's own outputs, one place down: its layer2 becomes layer1, its layer3 becomes layer2
        BackboneImporter.Result result = BackboneImporter.run(options(MOBILENET, List.of("layer2", "layer3"), dir, 96));
        assertThat(result.outputs()).containsExactly(new BackboneManifest.Output("layer1", 32, 8),
                new BackboneManifest.Output("layer2", 96, 16));
        float[] input = noise(3 * 64 * 96, 5);
        try (OnnxBackbone shared = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             OnnxBackbone imported = OnnxBackbone.load(result.manifest())) {
            OnnxBackbone.Features want = shared.run(input, 1, 64, 96);
            OnnxBackbone.Features got = imported.run(input, 1, 64, 96);
            assertThat(got.layers().get(0)).containsExactly(want.layers().get(1), within(1e-4f));
            assertThat(got.layers().get(1)).containsExactly(want.layers().get(2), within(1e-4f));
        }
    }

    @Test
    void aTensorTheGraphDoesNotHaveIsRefusedWithTheCandidatesAndTheirShapes(@TempDir Path dir) {
        assertThatThrownBy(() -> BackboneImporter.run(options(MOBILENET, List.of("add16", "nope", "add73"), dir, 224)))
                .hasMessageContaining(MOBILENET + " has no tensor named 'nope'")
                .hasMessageContaining("candidates for --layers")
                .hasMessageContaining("add16 [1,24,56,56] stride 4")
                .hasMessageContaining("add33 [1,32,28,28] stride 8")
                .hasMessageContaining("add73 [1,96,14,14] stride 16");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void layersWhoseStridesShrinkAreRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> BackboneImporter.run(options(MOBILENET, List.of("add33", "add16"), dir, 224)))
                .hasMessageContaining("layer2 ('add16', stride 4) is finer than layer1 ('add33', stride 8)")
                .hasMessageContaining("shallowest first");
    }

    @Test
    void aGraphWithASizeBakedInKeepsItsHeightAndWidthFixedAndSaysSo(@TempDir Path dir) throws Exception {
        // a Reshape to the literal 24x56x56 after stage 1: only a 224x224 input works, any batch does
        ModelProto.Builder proto = ModelProto.parseFrom(Files.readAllBytes(MOBILENET)).toBuilder();
        ByteBuffer dims = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : new long[]{-1, 24, 56, 56}) {
            dims.putLong(d);
        }
        proto.getGraphBuilder().addInitializer(OnnxProto.TensorProto.newBuilder().setName("fixed_shape")
                .addDims(4).setDataType(7).setRawData(ByteString.copyFrom(dims.array())));
        proto.getGraphBuilder().addNode(OnnxProto.NodeProto.newBuilder().setOpType("Reshape").setName("fixed")
                .addInput("add16").addInput("fixed_shape").addOutput("stage1_fixed"));
        Path file = Files.write(dir.resolve("fixed.onnx"), proto.build().toByteArray());

        BackboneImporter.Result result = BackboneImporter.run(
                options(file, List.of("stage1_fixed", "add33"), dir.resolve("out"), 224));
        assertThat(result.dynamic()).containsExactly("batch");
        assertThat(result.warnings()).anySatisfy(w -> assertThat(w).contains("fixed at 224x224"));
        assertThat(BackboneManifest.read(result.manifest()).input().dynamic()).containsExactly("batch");
        try (OnnxBackbone imported = OnnxBackbone.load(result.manifest())) {
            assertThat(imported.run(new float[3 * 3 * 224 * 224], 3, 224, 224).shapes().get(0))
                    .containsExactly(3, 24, 56, 56);
        }
    }

    static float[] noise(int n, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static Map<String, float[]> run(byte[] model, float[] image, long[] shape, List<String> outputs)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model, options);
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), shape);
             OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input),
                     new LinkedHashSet<>(outputs))) {
            Map<String, float[]> out = new java.util.HashMap<>();
            for (String name : outputs) {
                FloatBuffer b = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
                float[] v = new float[b.remaining()];
                b.get(v);
                out.put(name, v);
            }
            return out;
        }
    }

    private static double maxAbsDifference(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
