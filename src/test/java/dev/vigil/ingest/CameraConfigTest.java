package dev.vigil.ingest;

import dev.vigil.media.FrameCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The camera file: defaults and overrides, the committed example, and every bad file refused with where and why. */
class CameraConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path file = dir.resolve("cameras.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void camerasTakeTheFileDefaultsThenTheirOwnSettingsAndDisabledOnesAreLeftOut() throws Exception {
        List<CameraIngest.Settings> cameras = CameraConfig.load(yaml("""
                defaults:
                  fps: 2.5
                  frame_codec: png
                cameras:
                  - id: gate-1
                    source: rtsp://10.0.0.12/stream1
                  - id: dock.2
                    source: http://cam.local/video.mjpg
                    fps: 0
                    frame_codec: jpeg:75
                  - id: spare
                    source: udp://@:5000
                    enabled: false
                """));
        assertThat(cameras).extracting(CameraIngest.Settings::camera).containsExactly("gate-1", "dock.2");
        assertThat(cameras.get(0).targetFps()).isEqualTo(2.5);
        assertThat(cameras.get(0).codec()).isEqualTo(FrameCodec.parse("png"));
        assertThat(cameras.get(1).targetFps()).isZero();
        assertThat(cameras.get(1).codec()).isEqualTo(FrameCodec.parse("jpeg:75"));
        assertThat(cameras.get(1).initialBackoff()).isEqualTo(CameraIngest.INITIAL_BACKOFF);
        assertThat(cameras.get(1).maxBackoff()).isEqualTo(CameraIngest.MAX_BACKOFF);
    }

    @Test
    void withoutDefaultsACameraGetsFiveFramesASecondInJpeg90() throws Exception {
        List<CameraIngest.Settings> cameras = CameraConfig.load(yaml("""
                cameras:
                  - id: lobby
                    source: footage/lobby.mp4
                """));
        assertThat(cameras).singleElement().satisfies(c -> {
            assertThat(c.source()).isEqualTo("footage/lobby.mp4");
            assertThat(c.targetFps()).isEqualTo(5);
            assertThat(c.codec()).isEqualTo(FrameCodec.DEFAULT);
        });
    }

    @Test
    void theCommittedExampleLoadsAndSoDoesItsCommentedRtspCamera() throws Exception {
        Path committed = Path.of("config", "cameras.yaml");
        assertThat(CameraConfig.load(committed)).singleElement().satisfies(c -> {
            assertThat(c.camera()).isEqualTo("walkway");
            assertThat(c.source()).isEqualTo("sample-streams/walkway-normal.mp4");
            assertThat(c.codec()).isEqualTo(FrameCodec.DEFAULT);
        });
        // the commented camera is documentation too: uncommented, it must be a valid camera
        String uncommented = Files.readAllLines(committed).stream()
                .map(line -> line.matches("  # (- |  )\\w.*") ? "  " + line.substring(4) : line)
                .collect(Collectors.joining("\n"));
        List<CameraIngest.Settings> cameras = CameraConfig.load(yaml(uncommented));
        assertThat(cameras).extracting(CameraIngest.Settings::camera).containsExactly("walkway", "gate-1");
        assertThat(cameras.get(1).redactedSource()).isEqualTo("rtsp://***@192.0.2.10:554/stream1");
    }

    @Test
    void aMissingIdIsNamedByTheCamerasPlaceInTheList() throws Exception {
        Path file = yaml("""
                cameras:
                  - id: a
                    source: a.mp4
                  - source: b.mp4
                """);
        assertThatThrownBy(() -> CameraConfig.load(file)).isInstanceOf(CameraConfigException.class)
                .hasMessage("camera file " + file + ", cameras[1]: id is missing");
    }

    @Test
    void eachCameraHasAThresholdRuleAndABadOneIsRefusedNamingTheCamera() throws Exception {
        var rules = CameraConfig.thresholdRules(yaml("""
                defaults:
                  threshold_rule: p99.5
                cameras:
                  - id: a
                    source: a.mp4
                  - id: b
                    source: b.mp4
                    threshold_rule: quantile:0.999
                    enabled: false
                """));
        assertThat(rules).hasSize(2);
        assertThat(rules.get("a")).hasToString("p99.5");
        assertThat(rules.get("b")).hasToString("p99.9");
        Path bad = yaml("""
                cameras:
                  - id: gate
                    source: a.mp4
                    threshold_rule: p99+
                """);
        assertThatThrownBy(() -> CameraConfig.load(bad)).isInstanceOf(CameraConfigException.class)
                .hasMessageContaining("cameras[0] (id gate): threshold rule 'p99+' is not one of");
    }

    @Test
    void aDuplicateIdNamesBothCameras() throws Exception {
        Path file = yaml("""
                cameras:
                  - id: gate
                    source: a.mp4
                  - id: gate
                    source: b.mp4
                """);
        assertThatThrownBy(() -> CameraConfig.load(file))
                .hasMessage("camera file " + file + ", cameras[1] (id gate): id 'gate' is already used by cameras[0]");
    }

    @Test
    void badIdsAreRefused() throws Exception {
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate 1\n    source: a.mp4\n")))
                .hasMessageContaining("cameras[0]: id 'gate 1' must be 1 to 64 letters, digits");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: 7\n    source: a.mp4\n")))
                .hasMessageContaining("cameras[0]: id must be text, got a number 7 (quote it: id: \"7\")");
    }

    @Test
    void aBadFpsNamesTheCameraAndTheValue() throws Exception {
        Path file = yaml("""
                cameras:
                  - id: gate
                    source: a.mp4
                    fps: -1
                """);
        assertThatThrownBy(() -> CameraConfig.load(file)).hasMessage("camera file " + file
                + ", cameras[0] (id gate): fps must be a number of frames per second >= 0 (0: every frame), "
                + "got a number -1");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    fps: fast\n")))
                .hasMessageContaining("cameras[0] (id gate): fps must be").hasMessageContaining("got text \"fast\"");
        assertThatThrownBy(() -> CameraConfig.load(yaml("defaults:\n  fps: -3\n"
                + "cameras:\n  - id: a\n    source: a.mp4\n")))
                .hasMessageContaining(", defaults: fps must be");
    }

    @Test
    void aBadCodecNamesTheCameraAndWhatIsAccepted() throws Exception {
        Path file = yaml("""
                cameras:
                  - id: gate
                    source: a.mp4
                    frame_codec: jpeg:0
                """);
        assertThatThrownBy(() -> CameraConfig.load(file)).hasMessage("camera file " + file
                + ", cameras[0] (id gate): frame_codec: frame codec must be jpeg:Q (Q in 1..100) or png, "
                + "got 'jpeg:0'");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    frame_codec: none\n")))
                .hasMessageContaining("frame_codec: frame codec 'none' applies to eval only");
    }

    @Test
    void anUnknownFieldIsRefusedRatherThanIgnored() throws Exception {
        Path file = yaml("""
                cameras:
                  - id: gate
                    source: a.mp4
                    fsp: 2
                """);
        assertThatThrownBy(() -> CameraConfig.load(file)).hasMessage("camera file " + file
                + ", cameras[0] (id gate): unknown field 'fsp' (known: id, source, fps, frame_codec, enabled, threshold_rule)");
        assertThatThrownBy(() -> CameraConfig.load(yaml("camera:\n  - id: a\n    source: a.mp4\n")))
                .hasMessageContaining(", top level: unknown field 'camera' (known: cameras, defaults)");
        assertThatThrownBy(() -> CameraConfig.load(yaml("defaults:\n  enabled: false\ncameras: []\n")))
                .hasMessageContaining(", defaults: unknown field 'enabled' (known: fps, frame_codec, threshold_rule)");
    }

    @Test
    void sourcesMustBeASupportedUrlOrAPathAndCredentialsStayOutOfTheMessage() throws Exception {
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n")))
                .hasMessageContaining("cameras[0] (id gate): source is missing");
        assertThatThrownBy(() -> CameraConfig.load(yaml(
                "cameras:\n  - id: gate\n    source: rstp://admin:hunter2@10.0.0.12/stream1\n")))
                .hasMessageContaining("cameras[0] (id gate): source rstp://***@10.0.0.12/stream1 has an unsupported "
                        + "scheme 'rstp'")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: rtsp:///stream1\n")))
                .hasMessageContaining("source rtsp:///stream1 names no host");
    }

    @Test
    void aYamlSyntaxErrorOnASourceLineNamesTheFileAndLineButNotThePassword() throws Exception {
        // each breaks the YAML on the line that holds the password: the parser's message would quote it
        for (String broken : new String[]{
                "cameras:\n  - id: gate\n    source: \"rtsp://admin:hunter2@10.0.0.12/stream1\n",
                "cameras:\n  - id: gate\n    source: rtsp://admin:hunter2@10.0.0.12/s: 1\n",
                "cameras:\n  - id: gate\n\tsource: rtsp://admin:hunter2@10.0.0.12/s\n",
                "cameras:\n  - id: gate\n    source: [rtsp://admin:hunter2@10.0.0.12/s\n"}) {
            Path file = yaml(broken);
            assertThatThrownBy(() -> CameraConfig.load(file)).as(broken)
                    .hasMessageStartingWith("camera file " + file + " is not valid YAML: ")
                    .hasMessageContaining("line 3")
                    .hasMessageNotContaining("hunter2")
                    .hasMessageNotContaining("admin");
        }
    }

    @Test
    void aPasswordInTheWrongFieldIsNotEchoed() throws Exception {
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    fps: rtsp://admin:hunter2@10.0.0.12/s\n")))
                .hasMessageContaining("cameras[0] (id gate): fps must be")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    enabled: {password: hunter2}\n")))
                .hasMessageContaining("enabled must be true or false")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void badEnabledValuesAreRefused() throws Exception {
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    enabled: maybe\n")))
                .hasMessageContaining("cameras[0] (id gate): enabled must be true or false, got text \"maybe\"");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: gate\n    source: a.mp4\n"
                + "    enabled: false\n")))
                .hasMessageContaining("enables no camera (all 1 have enabled: false)");
    }

    @Test
    void filesThatAreNotACameraListSayWhatIsExpected() throws Exception {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> CameraConfig.load(missing)).hasMessage("camera file " + missing + " does not exist");
        assertThatThrownBy(() -> CameraConfig.load(yaml(""))).hasMessageContaining("is empty: it needs a top-level "
                + "'cameras:' list");
        assertThatThrownBy(() -> CameraConfig.load(yaml("- id: a\n"))).hasMessageContaining("must hold a mapping");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras: []\n"))).hasMessageContaining("lists no camera");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  id: a\n")))
                .hasMessageContaining(", cameras: must be a list");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - gate\n")))
                .hasMessageContaining(", cameras[0]: must be a mapping with at least id and source, not text");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: a\n    id: b\n    source: a.mp4\n")))
                .hasMessageContaining("is not valid YAML: Duplicate field 'id'").hasMessageContaining("line 3");
        assertThatThrownBy(() -> CameraConfig.load(yaml("cameras:\n  - id: [a\n")))
                .hasMessageContaining("is not valid YAML");
    }
}
