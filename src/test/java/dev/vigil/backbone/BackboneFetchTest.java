package dev.vigil.backbone;

import com.sun.net.httpserver.HttpServer;
import dev.vigil.integrity.FileDigests;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Downloads from a local HTTP server that serves a model made here (a copy of the shared MobileNetV2's bytes), a
 * download cut off half way, and nothing at all: a failed download leaves no file behind.
 */
class BackboneFetchTest {
    private static final Path MOBILENET = SharedData.root().resolve("backbones/mobilenetv2-l123.onnx");

    @TempDir
    Path dir;
    private HttpServer server;
    private byte[] model;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() throws IOException {
        model = Files.readAllBytes(MOBILENET);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestURI().getPath());
            try (exchange) {
                switch (exchange.getRequestURI().getPath()) {
                    case "/zoo/net.onnx" -> {
                        exchange.sendResponseHeaders(200, model.length);
                        exchange.getResponseBody().write(model);
                    }
                    case "/zoo/cut.onnx" -> {
                        // the full length announced, half of it sent, then the connection goes
                        exchange.sendResponseHeaders(200, model.length);
                        OutputStream body = exchange.getResponseBody();
                        body.write(model, 0, model.length / 2);
                        body.flush();
                        throw new IOException("connection dropped by the test");
                    }
                    default -> exchange.sendResponseHeaders(404, -1);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void aFetchedBackboneLandsInTheCacheWhereCommandsFindIt() throws IOException {
        String sha = FileDigests.sha256(MOBILENET);
        VigilRun run = VigilRun.of("backbone", "fetch", "mynet", "--url", url("/zoo/net.onnx").toString(),
                "--layers", "add16,add33,add73", "--sha256", sha, "--cache", dir.toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).contains("downloaded " + url("/zoo/net.onnx"))
                .contains("layer1 24ch/4, layer2 32ch/8, layer3 96ch/16");
        BackboneCache cache = BackboneCache.under(dir);
        assertThat(cache.downloads()).isDirectoryContaining(p -> p.getFileName().toString().equals("net.onnx"));
        assertThat(Files.list(cache.downloads()).toList()).hasSize(1);
        Path manifest = cache.folder("mynet").resolve("mynet.json");
        assertThat(new BackboneLocator(Map.of(), dir.resolve("none.yaml"), cache).locate(null))
                .isEqualTo(new BackboneLocator.Located(manifest, "the cache"));
        try (OnnxBackbone backbone = OnnxBackbone.load(manifest)) {
            assertThat(backbone.run(new float[3 * 64 * 64], 1, 64, 64).shapes().get(2)).containsExactly(1, 96, 4, 4);
        }

        // a second fetch uses the download it has
        VigilRun again = VigilRun.of("backbone", "fetch", "mynet", "--url", url("/zoo/net.onnx").toString(),
                "--layers", "add16,add33,add73", "--sha256", sha, "--cache", dir.toString());
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out()).contains("already had");
        assertThat(requests).containsExactly("/zoo/net.onnx");
    }

    @Test
    void aDownloadCutOffHalfWayLeavesNothingBehind() {
        Path target = dir.resolve("downloads/cut.onnx");
        assertThatThrownBy(() -> HttpDownload.fetch(url("/zoo/cut.onnx"), target, null, 0))
                .hasMessageContaining("download of " + url("/zoo/cut.onnx"));
        assertThat(dir.resolve("downloads")).isEmptyDirectory();
    }

    @Test
    void aDownloadWithTheWrongDigestLeavesNothingBehind() {
        Path target = dir.resolve("downloads/net.onnx");
        assertThatThrownBy(() -> HttpDownload.fetch(url("/zoo/net.onnx"), target, "0".repeat(64), 0))
                .hasMessageContaining("expected " + "0".repeat(64));
        assertThat(dir.resolve("downloads")).isEmptyDirectory();
        assertThatThrownBy(() -> HttpDownload.fetch(url("/zoo/net.onnx"), target, null, model.length + 1L))
                .hasMessageContaining("is " + model.length + " bytes, expected " + (model.length + 1));
        assertThat(dir.resolve("downloads")).isEmptyDirectory();
    }

    @Test
    void aCatalogueNameIsFetchedFromTheMirrorAndAMissingFileFailsCleanly() {
        VigilRun run = VigilRun.of("backbone", "fetch", "mobilenetv2", "--mirror", url("/zoo/").toString(),
                "--cache", dir.toString());
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("vigil backbone fetch: GET " + url("/zoo/"
                + BackboneCatalogue.find("mobilenetv2").orElseThrow().path()) + " answered HTTP 404");
        assertThat(requests).containsExactly("/zoo/Computer_Vision/mobilenet_v2_Opset17_torch_hub/mobilenet_v2_Opset17.onnx");
        assertThat(dir.resolve("backbones/downloads")).isEmptyDirectory();
        assertThat(dir.resolve("backbones/mobilenetv2")).doesNotExist();
    }

    @Test
    void anUnreachableHostIsReportedAsPossiblyNoInternet() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closed + "/model.onnx");
        assertThatThrownBy(() -> HttpDownload.fetch(nowhere, dir.resolve("d/model.onnx"), null, 0))
                .hasMessageContaining("cannot reach 127.0.0.1")
                .hasMessageContaining("may have no internet access");
        assertThat(dir.resolve("d")).isEmptyDirectory();
    }

    @Test
    void anUnknownNameWithoutUrlListsTheKnownOnes() {
        VigilRun run = VigilRun.of("backbone", "fetch", "vgg16", "--cache", dir.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("unknown backbone 'vgg16': known are mobilenetv2, resnet18, wide_resnet50_2, resnet50v2");
    }
}
