package dev.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.media.ImageFiles;
import dev.vigil.media.SyntheticScene;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** vigil backbone import and inspect, and how commands find a backbone, through the real command line. */
class BackboneCommandTest {
    private static final Path MOBILENET = SharedData.root().resolve("backbones/mobilenetv2-l123.onnx");

    @TempDir
    Path dir;

    @Test
    void anImportedBackboneTrainsAModelGivenByItsOnnxFile() throws Exception {
        Path out = dir.resolve("backbones");
        VigilRun imported = VigilRun.of("backbone", "import", "--onnx", MOBILENET.toString(), "--layers",
                "add16,add33,add73", "--name", "mnet", "--out", out.toString(), "--size", "128x96");
        assertThat(imported.exit()).as(imported.toString()).isZero();
        assertThat(imported.out()).contains("wrote " + out.resolve("mnet.json") + " (mnet.onnx)")
                .contains("layer1 24ch/4, layer2 32ch/8, layer3 96ch/16").contains("dynamic batch,height,width")
                .contains("checked at 128x96");
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("mnet.json").toFile());
        assertThat(manifest.get("input").get("recommended_size").toString()).isEqualTo("[128,96]");
        assertThat(manifest.get("layers").get("layer2").asText()).isEqualTo("add33");

        SyntheticScene scene = new SyntheticScene(64, 48, 3, 0, 0);
        Files.createDirectories(dir.resolve("frames"));
        for (int i = 0; i < 4; i++) {
            ImageFiles.write(dir.resolve("frames").resolve("f" + i + ".png"), scene.frame(i * 5));
        }
        VigilRun train = VigilRun.of("train", "--backbone", out.resolve("mnet.onnx").toString(), "--input",
                dir.resolve("frames").toString(), "--size", "64x48", "--features", "20", "--out",
                dir.resolve("m.vgm").toString());
        assertThat(train.exit()).as(train.toString()).isZero();
        assertThat(train.out()).contains("mnet, resize 64x48, grid 16x12, d=20");
    }

    @Test
    void anUnknownLayerIsRefusedWithTheCandidatesAndNothingIsWritten() {
        VigilRun run = VigilRun.of("backbone", "import", "--onnx", MOBILENET.toString(), "--layers",
                "add16,add34,add73", "--out", dir.resolve("out").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("vigil backbone import: " + MOBILENET + " has no tensor named 'add34'")
                .contains("  add33 [1,32,28,28] stride 8");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void inspectListsTheFeatureMapsAsATableOrJson() throws Exception {
        VigilRun table = VigilRun.of("backbone", "inspect", MOBILENET.toString());
        assertThat(table.exit()).as(table.toString()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo(MOBILENET + ": input 'image' float[N,3,H,W], IR 7, opset 13;"
                + " shapes measured on an input of 1x3x224x224");
        assertThat(lines.get(1)).matches("tensor +op +shape +stride");
        int shapeColumn = lines.get(1).indexOf("shape");
        String add33 = lines.stream().filter(l -> l.startsWith("add33 ")).findFirst().orElseThrow();
        assertThat(add33.indexOf("[1,32,28,28]")).isEqualTo(shapeColumn);
        assertThat(add33).endsWith(" 8");
        assertThat(lines.get(lines.size() - 1)).startsWith("76 of 76 node outputs are 4-D float tensors");

        VigilRun json = VigilRun.of("backbone", "inspect", "--json", "--size", "64x64", MOBILENET.toString());
        assertThat(json.exit()).as(json.toString()).isZero();
        JsonNode doc = new ObjectMapper().readTree(json.out());
        assertThat(doc.get("measured_with").toString()).isEqualTo("[1,3,64,64]");
        JsonNode layer3 = doc.get("tensors").get(doc.get("tensors").size() - 1);
        assertThat(layer3.get("name").asText()).isEqualTo("layer3");
        assertThat(layer3.get("shape").toString()).isEqualTo("[1,96,4,4]");
        assertThat(layer3.get("stride").asInt()).isEqualTo(16);
    }

    @Test
    void inspectRefusesAFileThatIsNotOnnx() {
        Path manifest = SharedData.backbone("mobilenetv2-l123");
        VigilRun run = VigilRun.of("backbone", "inspect", manifest.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("vigil backbone inspect: " + manifest + " is not an ONNX model");
    }

    @Test
    void listShowsWhatFetchKnowsAndWhatCommandsUse() {
        VigilRun run = VigilRun.of("backbone", "list");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("fetch names (vigil backbone fetch NAME):")
                .containsPattern("  wide_resnet50_2 +275 MB  Wide-ResNet-50-2")
                .containsPattern("  resnet50v2 +\\? +ResNet-50 v2")
                .contains("without --backbone, commands ");
    }

    @Test
    void aCommandWithNoBackboneAnywhereSaysHowToGetOne() throws Exception {
        // a process of its own: the environment (VIGIL_BACKBONE, VIGIL_CACHE) and the working directory are its
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.vigil.cli.VigilCommand", "demo"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.remove("VIGIL_BACKBONE");
        env.put("VIGIL_CACHE", dir.resolve("cache").toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("vigil demo: no backbone: --backbone is not given, VIGIL_BACKBONE is not set,"
                        + " there is no config/vigil.yaml, and the cache " + dir.resolve("cache/backbones") + " is empty")
                .contains("vigil backbone fetch mobilenetv2").contains("vigil backbone import --onnx");
        // it stopped before generating any footage
        assertThat(dir.resolve("sample-streams")).doesNotExist();
    }
}
