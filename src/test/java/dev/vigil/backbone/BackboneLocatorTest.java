package dev.vigil.backbone;

import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackboneLocatorTest {
    private static final Path MOBILENET = SharedData.backbone("mobilenetv2-l123");
    private static final Path RESNET = SharedData.backbone("resnet50v2-l123");

    @TempDir
    Path dir;

    private BackboneLocator locator(Map<String, String> env, String config) throws IOException {
        Path file = dir.resolve("vigil.yaml");
        if (config != null) {
            Files.writeString(file, config);
        }
        return new BackboneLocator(env, file, BackboneCache.under(dir.resolve("cache")));
    }

    /** A backbone in the cache: a manifest in NAME/NAME.json (the model file itself is not needed to find it). */
    private Path cached(String name) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("cache/backbones").resolve(name));
        return Files.writeString(folder.resolve(name + ".json"), "{}");
    }

    @Test
    void theFlagComesFirstThenTheEnvironmentThenTheConfigThenTheCache() throws IOException {
        cached("mobilenetv2");
        BackboneLocator all = locator(Map.of("VIGIL_BACKBONE", RESNET.toString()), "backbone: " + MOBILENET + "\n");
        assertThat(all.locate(MOBILENET)).isEqualTo(new BackboneLocator.Located(MOBILENET, "--backbone"));
        assertThat(all.locate(null)).isEqualTo(new BackboneLocator.Located(RESNET, "VIGIL_BACKBONE"));
        BackboneLocator noEnv = locator(Map.of(), "backbone: " + RESNET + "\n");
        assertThat(noEnv.locate(null).manifest()).isEqualTo(RESNET);
        assertThat(noEnv.locate(null).from()).endsWith("vigil.yaml");
        BackboneLocator cacheOnly = locator(Map.of(), "# nothing set\n");
        assertThat(cacheOnly.locate(null)).isEqualTo(new BackboneLocator.Located(
                dir.resolve("cache/backbones/mobilenetv2/mobilenetv2.json"), "the cache"));
    }

    @Test
    void aCacheOfSeveralBackbonesGivesTheDefaultOneOrAsksWhichOne() throws IOException {
        cached("resnet18");
        cached("wide_resnet50_2");
        assertThatThrownBy(() -> locator(Map.of(), null).locate(null))
                .hasMessageContaining("holds several backbones ([resnet18, wide_resnet50_2])")
                .hasMessageContaining("--backbone");
        Path mobilenet = cached("mobilenetv2");
        assertThat(locator(Map.of(), null).locate(null).manifest()).isEqualTo(mobilenet);
    }

    @Test
    void withNoBackboneAnywhereTheErrorSaysHowToGetOne() {
        assertThatThrownBy(() -> locator(Map.of("VIGIL_BACKBONE", ""), null).locate(null))
                .hasMessageContaining("no backbone: --backbone is not given, VIGIL_BACKBONE is not set")
                .hasMessageContaining(dir.resolve("cache/backbones") + " is empty")
                .hasMessageContaining("vigil backbone fetch mobilenetv2")
                .hasMessageContaining("vigil backbone import --onnx FILE.onnx --layers T1,T2,T3 --out DIR")
                .hasMessageContaining("export VIGIL_BACKBONE=");
    }

    @Test
    void aFolderOrAnOnnxFileStandsForTheManifestBesideIt() throws IOException {
        Path folder = MOBILENET.getParent();
        assertThat(BackboneLocator.manifestAt(folder.resolve("mobilenetv2-l123.onnx"), "--backbone")).isEqualTo(MOBILENET);
        Path one = Files.createDirectories(dir.resolve("one"));
        Files.copy(MOBILENET, one.resolve("m.json"));
        assertThat(BackboneLocator.manifestAt(one, "--backbone")).isEqualTo(one.resolve("m.json"));
        assertThatThrownBy(() -> BackboneLocator.manifestAt(folder, "--backbone"))
                .hasMessageContaining("holds several manifests [mobilenetv2-l123.json, resnet50v2-l123.json]");
        Path bare = Files.writeString(dir.resolve("bare.onnx"), "x");
        assertThatThrownBy(() -> BackboneLocator.manifestAt(bare, "VIGIL_BACKBONE"))
                .hasMessageContaining("VIGIL_BACKBONE names " + bare + ", an ONNX file with no manifest beside it")
                .hasMessageContaining("vigil backbone import --onnx " + bare);
        assertThatThrownBy(() -> BackboneLocator.manifestAt(dir.resolve("nope.json"), "--backbone"))
                .hasMessageContaining("--backbone names " + dir.resolve("nope.json") + ", which does not exist");
    }

    @Test
    void aSyntaxErrorIsNamedByFileAndLineWithoutQuotingTheLine() throws IOException {
        BackboneLocator broken = locator(Map.of(), "# where the manifest is\n"
                + "backbone: \"https://vigil:hunter2@models.example/mobilenetv2.json\n");
        assertThatThrownBy(() -> broken.locate(null))
                .hasMessageContaining("settings file " + dir.resolve("vigil.yaml") + " is not valid YAML")
                .hasMessageContaining("line 2")
                .hasMessageNotContaining("hunter2")
                .hasNoCause();
        BackboneLocator wrongType = locator(Map.of(), "backbone: {token: s3cret-token-value}\n");
        assertThatThrownBy(() -> wrongType.locate(null))
                .hasMessageContaining("'backbone' must be the path of a manifest")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void aSettingsFileWithAnUnknownSettingIsRefused() {
        assertThatThrownBy(() -> locator(Map.of(), "backbon: x.json\n").locate(null))
                .hasMessageContaining("unknown setting 'backbon' (known: backbone)");
    }
}
