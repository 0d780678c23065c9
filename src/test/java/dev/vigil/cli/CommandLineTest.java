package dev.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.media.ImageFiles;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The real command line on generated footage; a failing run prints everything the command said. */
class CommandLineTest {
    private static final int W = 160;
    private static final int H = 128;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 9, 130, 145);
    private static final String BACKBONE = SharedData.backbone("mobilenetv2-l123").toString();

    @TempDir
    static Path dir;

    static VigilRun vigil(String... args) {
        return VigilRun.of(args);
    }

    static void clip(Path file, int from, int to) throws Exception {
        Files.createDirectories(file.getParent());
        try (VideoWriter writer = VideoWriter.open(file, W, H, 10)) {
            for (int i = from; i < to; i++) {
                writer.write(SCENE.frame(i));
            }
        }
    }

    @BeforeAll
    static void footage() throws Exception {
        // a clips dataset: two normal training clips, one test clip where a vehicle crosses in frames 130..144
        Path clips = dir.resolve("clips");
        clip(clips.resolve("train/a.mp4"), 0, 60);
        clip(clips.resolve("train/b.mp4"), 60, 110);
        clip(clips.resolve("test/t1.mp4"), 110, 160);
        StringBuilder labels = new StringBuilder();
        for (int i = 110; i < 160; i++) {
            labels.append(i == 110 ? "" : ",").append(SCENE.isAnomalous(i) ? 1 : 0);
            boolean[] mask = SCENE.anomalyMask(i);
            byte[] px = new byte[W * H * 3];
            for (int p = 0; p < mask.length; p++) {
                if (mask[p]) {
                    px[3 * p] = px[3 * p + 1] = px[3 * p + 2] = (byte) 255;
                }
            }
            Path gt = clips.resolve("test/t1_gt").resolve(String.format("%03d.png", i - 110));
            Files.createDirectories(gt.getParent());
            ImageFiles.write(gt, new RgbImage(W, H, px));
        }
        Files.writeString(clips.resolve("test/labels.json"),
                "{\"clips\": {\"t1\": {\"frames\": 50, \"labels\": [" + labels + "]}}}");
        // an mvtec dataset of still frames; one anomalous image has no mask
        Path mvtec = dir.resolve("mvtec");
        for (int i = 0; i < 60; i++) {
            write(mvtec.resolve(String.format("train/good/%03d.png", i)), SCENE.frame(i));
        }
        for (int i : new int[]{111, 115, 120, 125}) {
            write(mvtec.resolve(String.format("test/good/%03d.png", i)), SCENE.frame(i));
        }
        for (int i : new int[]{132, 137, 142}) {
            write(mvtec.resolve(String.format("test/vehicle/%03d.png", i)), SCENE.frame(i));
            if (i != 142) {
                boolean[] mask = SCENE.anomalyMask(i);
                byte[] px = new byte[W * H * 3];
                for (int p = 0; p < mask.length; p++) {
                    px[3 * p] = px[3 * p + 1] = px[3 * p + 2] = (byte) (mask[p] ? 255 : 0);
                }
                write(mvtec.resolve(String.format("ground_truth/vehicle/%03d_mask.png", i)), new RgbImage(W, H, px));
            }
        }
    }

    private static void write(Path file, RgbImage image) throws Exception {
        Files.createDirectories(file.getParent());
        ImageFiles.write(file, image);
    }

    @Test
    void trainWritesAModelThatModelInfoDescribes() {
        Path model = dir.resolve("models/cam.vgm");
        VigilRun train = vigil("train", "--backbone", BACKBONE, "--input", dir.resolve("clips/train").toString(),
                "--out", model.toString(), "--features", "50", "--size", W + "x" + H, "--seed", "4", "--label", "cam-1");
        assertThat(train.exit()).as(train.toString()).isZero();
        assertThat(train.out()).contains("wrote " + model).contains("d=50").contains("100 frames fitted");
        VigilRun info = vigil("model", "info", "--verify", model.toString());
        assertThat(info.exit()).as(info.toString()).isZero();
        assertThat(info.out()).contains("\"features\" : 50").contains("\"label\" : \"cam-1\"")
                .contains("\"input_size\" : \"160x128\"").contains("\"verified\" : true");
    }

    @Test
    void partialFitsOfTwoClipsMergeIntoTheFitOfBoth() throws Exception {
        String[] common = {"--backbone", BACKBONE, "--features", "20", "--size", W + "x" + H, "--label", "cam-1"};
        Path a = dir.resolve("parts/a.vgp");
        Path b = dir.resolve("parts/b.vgp");
        Path both = dir.resolve("parts/both.vgp");
        for (Object[] run : new Object[][]{{a, "a.mp4"}, {b, "b.mp4"}}) {
            VigilRun train = vigil(concat(common, "train", "--partial", "--input",
                    dir.resolve("clips/train/" + run[1]).toString(), "--out", run[0].toString()));
            assertThat(train.exit()).as(train.toString()).isZero();
            assertThat(train.out()).contains("wrote partial fit");
        }
        assertThat(vigil(concat(common, "train", "--partial", "--input", dir.resolve("clips/train").toString(),
                "--out", both.toString())).exit()).isZero();

        Path merged = dir.resolve("parts/merged.vgm");
        VigilRun merge = vigil("model", "merge", "--out", merged.toString(), "--backbone", BACKBONE,
                "--threshold-from", dir.resolve("mvtec/test/good").toString(), a.toString(), b.toString());
        assertThat(merge.exit()).as(merge.toString()).isZero();
        assertThat(merge.out()).contains("2 partial fits merged, 110 frames fitted").contains("4 frames scored");
        Path whole = dir.resolve("parts/whole.vgm");
        VigilRun one = vigil("model", "merge", "--out", whole.toString(), both.toString());
        assertThat(one.exit()).as(one.toString()).isZero();
        assertThat(one.err()).contains("has no threshold");

        try (PadimModel m = ModelFile.read(merged); PadimModel w = ModelFile.read(whole)) {
            assertThat(m.info().trainingFrames()).isEqualTo(w.info().trainingFrames());
            assertThat(m.info().provenance().kind()).isEqualTo("merge");
            assertThat(m.info().threshold().threshold()).isPositive();
            float[] mm = m.gaussian().mean();
            float[] wm = w.gaussian().mean();
            for (int i = 0; i < mm.length; i++) {
                assertThat(mm[i]).isCloseTo(wm[i], within(1e-4f));
            }
        }
        // a share fitted another way is named
        Path other = dir.resolve("parts/other.vgp");
        assertThat(vigil("train", "--partial", "--backbone", BACKBONE, "--features", "10", "--size", W + "x" + H,
                "--input", dir.resolve("clips/train/a.mp4").toString(), "--out", other.toString()).exit()).isZero();
        VigilRun refused = vigil("model", "merge", "--out", dir.resolve("parts/never.vgm").toString(), a.toString(),
                other.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains(other.toString()).contains("channel selection");
        assertThat(dir.resolve("parts/never.vgm")).doesNotExist();
    }

    private static String[] concat(String[] common, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + common.length);
        System.arraycopy(common, 0, all, args.length, common.length);
        return all;
    }

    @Test
    void evalOnClipsReportsThePapersMetricsForEveryFrame() throws Exception {
        Path report = dir.resolve("report-clips");
        VigilRun eval = vigil("eval", "--backbone", BACKBONE, "--dataset", dir.resolve("clips").toString(),
                "--layout", "clips", "--size", W + "x" + H, "--features", "50", "--report", report.toString());
        assertThat(eval.exit()).as(eval.toString()).isZero();
        JsonNode r = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        for (String key : List.of("image_auroc", "pixel_auroc", "pro", "test_images", "backbone", "features",
                "fit_seconds", "score_images_per_second", "scores")) {
            assertThat(r.has(key)).as("report has %s", key).isTrue();
        }
        assertThat(r.get("test_images").asInt()).isEqualTo(50);
        assertThat(r.get("image_auroc").asDouble()).isGreaterThan(0.95);
        assertThat(r.get("pixel_auroc").asDouble()).isGreaterThan(0.9);
        assertThat(r.get("scores")).hasSize(50);
        JsonNode first = r.get("scores").get(0);
        assertThat(first.get("clip").asText()).isEqualTo("t1");
        assertThat(first.get("frame").asInt()).isZero();
        assertThat(r.get("scores").get(25).get("label").asInt()).isEqualTo(1);
        for (String figure : List.of("roc.png", "overlays_highest.png", "overlays_lowest.png", "summary.md")) {
            assertThat(report.resolve(figure)).isNotEmptyFile();
        }
        // the overlays are pictures of the footage: the report is its owner's alone, whatever the umask
        if (dev.vigil.files.PrivateFiles.posix(report)) {
            assertThat(mode(report)).isEqualTo("rwx------");
            for (String file : List.of("report.json", "roc.png", "overlays_highest.png", "summary.md")) {
                assertThat(mode(report.resolve(file))).as(file).isEqualTo("rw-------");
            }
        }
    }

    private static String mode(Path p) throws Exception {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void evalOnMvtecSaysWhichAnomaliesLackAMask() throws Exception {
        Path report = dir.resolve("report-mvtec");
        VigilRun eval = vigil("eval", "--backbone", BACKBONE, "--dataset", dir.resolve("mvtec").toString(),
                "--layout", "mvtec", "--size", W + "x" + H, "--features", "50", "--report", report.toString());
        assertThat(eval.exit()).as(eval.toString()).isZero();
        JsonNode r = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        assertThat(r.get("test_images").asInt()).isEqualTo(7);
        assertThat(r.get("anomalous_without_mask").asInt()).isEqualTo(1);
        assertThat(r.get("pixel_metric_images").asInt()).isEqualTo(6);
        assertThat(r.get("scores").get(0).get("path").asText()).isEqualTo("test/good/111.png");
        assertThat(Files.readString(report.resolve("summary.md"))).contains("1 anomalous test images have no mask");
    }

    @Test
    void evalWithPngScoresExactlyAsWithoutACodecWhileJpegChangesThePixels() throws Exception {
        Map<String, JsonNode> reports = new LinkedHashMap<>();
        for (String codec : List.of("png", "none", "jpeg:90")) {
            Path report = dir.resolve("report-codec-" + codec.replace(':', '-'));
            VigilRun eval = vigil("eval", "--backbone", BACKBONE, "--dataset", dir.resolve("mvtec").toString(),
                    "--layout", "mvtec", "--size", W + "x" + H, "--features", "50", "--frame-codec", codec,
                    "--report", report.toString());
            assertThat(eval.exit()).as(eval.toString()).isZero();
            assertThat(eval.out()).contains("frame codec " + codec);
            JsonNode r = new ObjectMapper().readTree(report.resolve("report.json").toFile());
            assertThat(r.get("frame_codec").asText()).isEqualTo(codec);
            reports.put(codec, r);
        }
        // png is lossless: fitting and scoring see the very pixels that none reads, so every score is equal
        assertThat(scores(reports.get("png"))).isEqualTo(scores(reports.get("none")));
        assertThat(scores(reports.get("jpeg:90"))).hasSize(7).isNotEqualTo(scores(reports.get("none")));
        VigilRun bad = vigil("eval", "--backbone", BACKBONE, "--dataset", dir.resolve("mvtec").toString(), "--layout",
                "mvtec", "--frame-codec", "webp", "--report", dir.resolve("never").toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("frame codec must be jpeg:Q (Q in 1..100), png or none, got 'webp'");
    }

    private static List<Double> scores(JsonNode report) {
        List<Double> scores = new ArrayList<>();
        report.get("scores").forEach(s -> scores.add(s.get("score").asDouble()));
        return scores;
    }

    @Test
    void ingestReadsEveryEnabledCameraOfACameraFile() throws Exception {
        Path cameras = dir.resolve("cameras.yaml");
        Files.writeString(cameras, String.join("\n",
                "defaults:",
                "  fps: 0",
                "cameras:",
                "  - id: a",
                "    source: " + dir.resolve("clips/train/a.mp4"),
                "  - id: b",
                "    source: " + dir.resolve("clips/train/b.mp4"),
                "    frame_codec: png",
                "  - id: spare",
                "    source: rtsp://USER:PASSWORD@192.0.2.10/stream1",
                "    enabled: false",
                ""));
        try (dev.vigil.broker.EmbeddedBroker broker =
                     dev.vigil.broker.EmbeddedBroker.start(dir.resolve("kafka-ingest"), 0)) {
            VigilRun run = vigil("ingest", "--config", cameras.toString(), "--bootstrap", broker.bootstrap());
            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).contains("camera a: 60 frames from " + dir.resolve("clips/train/a.mp4"))
                    .contains("camera b: 50 frames from " + dir.resolve("clips/train/b.mp4"))
                    .doesNotContain("spare").doesNotContain("not delivered");
        }
    }

    @Test
    void ingestSaysWhichCamerasAreMeantAndWhatIsWrongWithThem() throws Exception {
        VigilRun half = vigil("ingest", "--camera", "gate");
        assertThat(half.exit()).isEqualTo(2);
        assertThat(half.err()).contains("--camera needs --source").contains("Usage: vigil ingest");
        VigilRun both = vigil("ingest", "--camera", "gate", "--source", "x.mp4", "--config", "cameras.yaml");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--config cannot be combined with --camera and --source");
        Path cameras = dir.resolve("one-camera.yaml");
        Files.writeString(cameras, "cameras:\n  - id: a\n    source: " + dir.resolve("clips/train/a.mp4") + "\n");
        VigilRun fps = vigil("ingest", "--config", cameras.toString(), "--fps", "2");
        assertThat(fps.exit()).isEqualTo(2);
        assertThat(fps.err()).contains("--fps applies to --camera; with a camera file set fps per camera");
        Path bad = dir.resolve("bad-cameras.yaml");
        Files.writeString(bad, "cameras:\n  - id: a\n    source: a.mp4\n    fps: -2\n");
        VigilRun refused = vigil("ingest", "--config", bad.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("vigil ingest: camera file " + bad + ", cameras[0] (id a): fps must be");
        VigilRun negative = vigil("ingest", "--camera", "gate", "--source", "x.mp4", "--fps", "-1");
        assertThat(negative.exit()).isEqualTo(2);
        assertThat(negative.err()).contains("--fps must be a number of frames per second >= 0");
        Path nothing = dir.resolve("nothing.mp4");
        VigilRun missing = vigil("ingest", "--camera", "gate", "--source", nothing.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("camera gate: source file " + nothing + " does not exist");
    }

    @Test
    void everyCommandRefusesACameraIdThatCamerasYamlWouldRefuse() {
        String forged = "gate\n12:00:00 ERROR \u001b[31mforged";
        for (String[] args : List.of(
                new String[]{"ingest", "--camera", forged, "--source", "x.mp4"},
                new String[]{"replay", "--camera", "../../etc", "--file", "x.mp4"},
                new String[]{"model", "publish", "--camera", "a#1", "--model", "x.vgm"},
                new String[]{"model", "activate", "--camera", "x".repeat(65), "--version", "1"},
                new String[]{"learn", "--camera", "gate 1", "--out", "x.vgm"},
                new String[]{"alerts", "--camera", forged})) {
            VigilRun run = vigil(args);
            assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err()).as(String.join(" ", args)).contains("--camera").contains("is not 1 to 64 letters")
                    .doesNotContain("\u001b").doesNotContain("\n12:00");
        }
    }

    @Test
    void aMissingInputIsNamedAndNothingIsWritten() {
        Path model = dir.resolve("never.vgm");
        VigilRun run = vigil("train", "--backbone", BACKBONE, "--input", dir.resolve("nothing-here.mp4").toString(),
                "--out", model.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("nothing-here.mp4").contains("does not exist");
        assertThat(model).doesNotExist();
    }

    @Test
    void anOutputThatCannotBeWrittenIsRefusedBeforeAnyWork() throws Exception {
        // no folder can be made under a regular file, whoever runs the test: root ignores permission bits
        Path file = Files.writeString(dir.resolve("plain-file.txt"), "not a folder");
        Path model = file.resolve("m.vgm");
        // inputs that do not exist: had the command started work, they would have been what failed
        String nothing = dir.resolve("nothing-here.mp4").toString();
        VigilRun train = vigil("train", "--backbone", BACKBONE, "--input", nothing, "--out", model.toString());
        assertThat(train.exit()).as(train.toString()).isEqualTo(1);
        assertThat(train.err()).contains("cannot write the model to " + model + ": " + file
                + " is a file, not a folder").doesNotContain("nothing-here");
        assertThat(train.out()).isEmpty();

        VigilRun folder = vigil("train", "--backbone", BACKBONE, "--input", nothing, "--out", dir.toString());
        assertThat(folder.err()).contains("cannot write the model to " + dir + ": it is a folder");
        VigilRun partial = vigil("train", "--partial", "--backbone", BACKBONE, "--input", nothing, "--out",
                model.toString());
        assertThat(partial.err()).contains("cannot write the partial fit to " + model + ": " + file + " is a file");
        VigilRun merge = vigil("model", "merge", "--out", model.toString(), nothing);
        assertThat(merge.err()).contains("cannot write the merged model to " + model + ": " + file + " is a file");
        Path report = file.resolve("report");
        VigilRun eval = vigil("eval", "--backbone", BACKBONE, "--dataset", nothing, "--layout", "clips",
                "--report", report.toString());
        assertThat(eval.err()).contains("cannot write the report to " + report + ": " + file + " is a file");
        // learn and calibrate fail before they look for a broker
        VigilRun learn = vigil("learn", "--camera", "gate", "--last", "PT1H", "--out", model.toString(),
                "--bootstrap", "localhost:1");
        assertThat(learn.err()).contains("cannot write the model to " + model + ": " + file + " is a file");
        VigilRun calibrate = vigil("model", "calibrate", "--camera", "gate", "--last", "PT1H", "--out",
                model.toString(), "--bootstrap", "localhost:1");
        assertThat(calibrate.err()).contains("cannot write the model to " + model + ": " + file + " is a file");
        assertThat(List.of(folder, partial, merge, eval, learn, calibrate)).allSatisfy(r -> {
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).doesNotContain("nothing-here");
        });
    }

    @Test
    void aDashboardTokenFileThatCannotBeReadIsNamedWithTheReason() throws Exception {
        Path missing = dir.resolve("no-token");
        Path empty = Files.writeString(dir.resolve("empty-token"), "\n");
        Path folder = Files.createDirectories(dir.resolve("token-folder"));
        for (var c : Map.of(missing, "it does not exist", empty, "it is empty", folder, "it is a folder").entrySet()) {
            // serve reads the token before it loads a backbone or looks for a broker
            VigilRun serve = vigil("serve", "--dashboard-token-file", c.getKey().toString(), "--bootstrap",
                    "localhost:1", "--http-port", "0");
            assertThat(serve.exit()).as(serve.toString()).isEqualTo(1);
            assertThat(serve.err()).contains("cannot read the dashboard token from " + c.getKey() + ": "
                    + c.getValue());
        }
    }

    @Test
    void aDashboardTokenFileEveryUserMayReadIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vigil.files.PrivateFiles.posix(dir));
        Path open = Files.writeString(dir.resolve("open-token"), "a-token-everyone-can-read\n");
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        for (String option : List.of("--dashboard-token-file", "--dashboard-viewer-token-file")) {
            VigilRun serve = vigil("serve", option, open.toString(), "--bootstrap", "localhost:1", "--http-port", "0");
            assertThat(serve.exit()).as(serve.toString()).isEqualTo(1);
            assertThat(serve.err()).contains(open + ": every user of this machine may read it (rw-r--r--)")
                    .contains("chmod 600").doesNotContain("a-token-everyone-can-read");
        }
    }

    @Test
    void noAuthBindsToLocalhostUnlessAHostIsGivenAndIsRefusedBesideAToken() throws Exception {
        Path token = Files.writeString(dir.resolve("no-auth-token"), "a-token-of-sixteen\n");
        if (dev.vigil.files.PrivateFiles.posix(dir)) {
            Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        VigilRun both = vigil("serve", "--no-auth", "--dashboard-token-file", token.toString(), "--bootstrap",
                "localhost:1", "--http-port", "0");
        assertThat(both.exit()).as(both.toString()).isEqualTo(1);
        assertThat(both.err()).contains("--no-auth and a dashboard token (--dashboard-token-file " + token
                + ") together");

        assertThat(bindAddress("serve", "--no-auth").getAddress().isLoopbackAddress()).isTrue();
        assertThat(bindAddress("serve", "--no-auth", "--http-host", "0.0.0.0").getAddress().isAnyLocalAddress())
                .isTrue();
        assertThat(bindAddress("serve").getAddress().isAnyLocalAddress()).isTrue();
        assertThat(bindAddress("serve", "--http-host", "127.0.0.1").getAddress().isLoopbackAddress()).isTrue();
    }

    /** Where serve's listener would bind, from its parsed command line and its dashboard's access. */
    private static java.net.InetSocketAddress bindAddress(String... args) throws Exception {
        picocli.CommandLine cli = new picocli.CommandLine(new VigilCommand());
        ServeCommand serve = (ServeCommand) cli.parseArgs(args).subcommand().commandSpec().userObject();
        return serve.httpAddress(serve.dashboard.noAuth ? dev.vigil.web.Access.open()
                : dev.vigil.web.Access.token("vigil", "a-token-of-sixteen"));
    }

    @Test
    void aDamagedModelIsRefusedWithItsPathAndTheFailedCheck() throws Exception {
        Path model = dir.resolve("damaged.vgm");
        VigilRun train = vigil("train", "--backbone", BACKBONE, "--input", dir.resolve("clips/train/a.mp4").toString(),
                "--out", model.toString(), "--features", "20", "--size", W + "x" + H);
        assertThat(train.exit()).as(train.toString()).isZero();
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 100] ^= 0x55;
        Files.write(model, bytes);
        VigilRun eval = vigil("eval", "--backbone", BACKBONE, "--dataset", dir.resolve("clips").toString(),
                "--layout", "clips", "--model", model.toString(), "--report", dir.resolve("r").toString());
        assertThat(eval.exit()).isEqualTo(1);
        assertThat(eval.err()).contains(model.toString()).contains("checksum");
    }

    @Test
    void aModelOfAnotherBackboneIsRefused() throws Exception {
        Path model = dir.resolve("mobilenet.vgm");
        assertThat(vigil("train", "--backbone", BACKBONE, "--input", dir.resolve("clips/train/a.mp4").toString(),
                "--out", model.toString(), "--features", "20", "--size", W + "x" + H).exit()).isZero();
        VigilRun eval = vigil("eval", "--backbone", SharedData.backbone("resnet50v2-l123").toString(), "--dataset",
                dir.resolve("clips").toString(), "--layout", "clips", "--model", model.toString(),
                "--report", dir.resolve("r2").toString());
        assertThat(eval.exit()).isEqualTo(1);
        assertThat(eval.err()).contains(model.toString()).contains("mobilenetv2").contains("resnet50v2");
    }

    @Test
    void usageErrorsExplainThemselves() {
        VigilRun run = vigil("eval", "--backbone", BACKBONE, "--dataset", "x", "--layout", "kitti", "--report", "r");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("unknown layout 'kitti'");
        VigilRun missing = vigil("train", "--backbone", BACKBONE);
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--input").contains("--out");
    }

    @Test
    void modelPublishVerifiesTheFileThenPutsItOnTheModelsTopic() throws Exception {
        Path model = dir.resolve("publish.vgm");
        assertThat(vigil("train", "--backbone", BACKBONE, "--input", dir.resolve("clips/train/a.mp4").toString(),
                "--out", model.toString(), "--features", "20", "--size", W + "x" + H).exit()).isZero();
        try (dev.vigil.broker.EmbeddedBroker broker = dev.vigil.broker.EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            VigilRun ok = vigil("model", "publish", "--camera", "gate-1", "--model", model.toString(),
                    "--bootstrap", broker.bootstrap(), "--chunk-bytes", "500000");
            assertThat(ok.exit()).as(ok.toString()).isZero();
            long size = Files.size(model);
            assertThat(ok.out()).contains("for camera gate-1").contains(((size + 499_999) / 500_000) + " chunks");
            Path damaged = dir.resolve("damaged-publish.vgm");
            byte[] bytes = Files.readAllBytes(model);
            bytes[bytes.length / 2] ^= 0x10;
            Files.write(damaged, bytes);
            VigilRun refused = vigil("model", "publish", "--camera", "gate-1", "--model", damaged.toString(),
                    "--bootstrap", broker.bootstrap());
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains(damaged.toString()).contains("checksum");
        }
    }
}
