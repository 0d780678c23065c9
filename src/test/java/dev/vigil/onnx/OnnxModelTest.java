package dev.vigil.onnx;

import dev.vigil.onnx.OnnxProto.ModelProto;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxModelTest {
    private static final Path MOBILENET = SharedData.root().resolve("backbones/mobilenetv2-l123.onnx");

    @Test
    void aModelGoesThroughParseAndWriteByteForByte(@TempDir Path dir) throws IOException {
        // fields the schema does not declare (e.g. the weights' float_data, doc strings) survive as unknown fields
        OnnxModel model = OnnxModel.read(MOBILENET);
        Path copy = dir.resolve("copy.onnx");
        model.write(copy);
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(MOBILENET));
        assertThat(model.imageInput().getName()).isEqualTo("image");
        assertThat(model.inputDims()).containsExactly("N", 3L, "H", "W");
        assertThat(model.opset()).isEqualTo(13);
    }

    @Test
    void extractKeepsOnlyTheNodesAndWeightsTheNamedTensorsNeed() throws IOException {
        OnnxModel model = OnnxModel.read(MOBILENET);
        OnnxModel cut = model.extract(List.of("add16"), List.of("features"));
        ModelProto proto = cut.proto();
        assertThat(proto.getGraph().getOutputList()).extracting(OnnxProto.ValueInfoProto::getName)
                .containsExactly("features");
        assertThat(proto.getGraph().getNodeCount()).isLessThan(model.proto().getGraph().getNodeCount() / 3);
        // every initializer kept is read by a kept node
        List<String> read = proto.getGraph().getNodeList().stream().flatMap(n -> n.getInputList().stream()).toList();
        assertThat(proto.getGraph().getInitializerList()).isNotEmpty()
                .allSatisfy(t -> assertThat(read).contains(t.getName()));
        assertThat(cut.toByteArray().length).isLessThan(model.toByteArray().length / 5);
    }

    @Test
    void aFileThatIsNotOnnxIsRefusedNamingTheFileAndTheCheck(@TempDir Path dir) throws IOException {
        Path json = SharedData.root().resolve("backbones/mobilenetv2-l123.json");
        assertThatThrownBy(() -> OnnxModel.read(json)).hasMessageContaining(json.toString())
                .hasMessageContaining("is not an ONNX model");
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        assertThatThrownBy(() -> OnnxModel.read(empty)).hasMessageContaining("empty.onnx is not an ONNX model: the file is empty");
        byte[] noise = new byte[4096];
        new Random(3).nextBytes(noise);
        Path random = Files.write(dir.resolve("noise.onnx"), noise);
        assertThatThrownBy(() -> OnnxModel.read(random)).hasMessageContaining("noise.onnx is not an ONNX model");
        assertThatThrownBy(() -> OnnxModel.read(dir.resolve("missing.onnx")))
                .hasMessageContaining("missing.onnx does not exist");
    }

    @Test
    void weightsInAnExternalDataFileAreRefusedWithHowToSaveOneFile(@TempDir Path dir) throws IOException {
        ModelProto.Builder proto = OnnxModel.read(MOBILENET).proto().toBuilder();
        OnnxProto.TensorProto.Builder weight = proto.getGraphBuilder().getInitializerBuilder(0);
        weight.clearRawData().setDataLocation(1).addExternalData(OnnxProto.StringStringEntryProto.newBuilder()
                .setKey("location").setValue("weights.bin"));
        Path file = Files.write(dir.resolve("external.onnx"), proto.build().toByteArray());
        assertThatThrownBy(() -> OnnxModel.read(file))
                .hasMessageContaining("external.onnx")
                .hasMessageContaining("initializer '" + weight.getName() + "' keeps its data in an external file ('weights.bin')")
                .hasMessageContaining("save_as_external_data=False");
    }
}
