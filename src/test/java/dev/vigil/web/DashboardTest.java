package dev.vigil.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.testing.HeadlessChromium;
import dev.vigil.testing.SharedData;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard against a running service: an embedded broker, a camera's model published, the scoring topology,
 * the dashboard's feed and HTTP server, and a clip replayed as the camera in which a vehicle crosses the walkway.
 * The API is checked with a real HTTP client, the page in headless Chromium over the DevTools protocol: a camera
 * tile with its heat map drawn, and the alert with its snapshot in the feed. The screenshot goes to
 * target/dashboard.png (and to docs/images/dashboard.png with -Dvigil.docs.update=true).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String CAMERA = "gate";
    private static final String TOKEN = "dashboard-test-token";
    private static final int W = 192;
    private static final int H = 144;
    /** the vehicle crosses during scene frames 200-224 */
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 200, 225);

    private Path dir;
    private OnnxBackbone backbone;
    private EmbeddedBroker broker;
    private ScoringEngine engine;
    private ScoringService service;
    private DashboardFeed feed;
    private WebServer server;
    private Thread replay;

    @BeforeAll
    void startTheServiceAndReplayTheCamera(@TempDir Path tmp) throws Exception {
        dir = tmp;
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20));
        PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, CAMERA))
                .fit(IntStream.range(0, 120).mapToObj(SCENE::frame).iterator());
        Path modelFile = dir.resolve("gate.vgm");
        // ten held-back frames make a loose default threshold; the vehicle scores far above this one
        ModelFile.write(modelFile, new PadimModel(model.info().withThreshold(
                model.info().threshold().withThreshold(30)), model.gaussian()));
        model.gaussian().close();
        KafkaConnection kafka = broker.connection();
        ModelPublisher.publish(kafka, CAMERA, modelFile, 1, 1 << 20);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // the scorer refines models from operators' confirmations; this camera's model has no patch memory
        service = ScoringService.start(kafka, engine, "mobilenetv2-l123", ScoringSettings.DEFAULT,
                ScoringService.Options.defaults(dir.resolve("state")), null,
                new dev.vigil.learning.MemoryRefiner(backbone, kafka), registry);
        feed = DashboardFeed.start(kafka);
        server = WebServer.start(new InetSocketAddress("localhost", 0), new Health(
                () -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of())), registry,
                new DashboardApi(feed, kafka), Access.token("vigil", TOKEN));
        Path clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, IntStream.range(160, 260).mapToObj(SCENE::frame).toList(), 10);
        replay = new Thread(() -> {
            try {
                Replayer.replay(kafka, CAMERA, clip.toString(), FrameCodec.DEFAULT, 2);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "test-replay");
        replay.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (replay != null) {
            replay.join(60_000);
        }
        for (AutoCloseable c : new AutoCloseable[]{server, feed, service, engine, broker, backbone}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode getJson(String path) throws Exception {
        HttpResponse<byte[]> r = get(path);
        assertThat(r.statusCode()).as(path + ": " + new String(r.body())).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void theApiShowsTheCameraItsAlertAndTheAlertsSnapshot() throws Exception {
        JsonNode[] alert = new JsonNode[1];
        await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> {
            for (JsonNode a : getJson("/api/alerts?camera=" + CAMERA)) {
                if (get(a.path("snapshot_url").asText()).statusCode() == 200) {
                    alert[0] = a;
                }
            }
            return alert[0] != null;
        });
        assertThat(alert[0].path("alert").path("peak_score").asDouble()).isGreaterThan(30);
        assertThat(alert[0].path("alert").path("snapshot").asText()).isEqualTo(alert[0].path("alert").path("id")
                .asText());

        // the snapshot: a JPEG of the whole frame, the heat map and boxes drawn on it
        HttpResponse<byte[]> snapshot = get(alert[0].path("snapshot_url").asText());
        assertThat(snapshot.headers().firstValue("Content-Type")).contains("image/jpeg");
        RgbImage picture = FrameCodec.decode(snapshot.body());
        assertThat(picture.width()).isEqualTo(W);
        assertThat(picture.height()).isEqualTo(H);

        JsonNode camera = getJson("/api/cameras/" + CAMERA);
        assertThat(camera.path("model_version").asLong()).isEqualTo(1);
        assertThat(camera.path("threshold").asDouble()).isEqualTo(30.0);
        assertThat(camera.path("scores").size()).isGreaterThan(10);
        assertThat(camera.path("alerts").size()).isGreaterThanOrEqualTo(1);
        assertThat(get("/api/cameras/" + CAMERA + "/map").headers().firstValue("Content-Type"))
                .contains("image/png");
        assertThat(get("/api/cameras/" + CAMERA + "/frame").statusCode()).isEqualTo(200);
        assertThat(get("/api/cameras/nobody").statusCode()).isEqualTo(404);
        // a path that is no camera id is refused by the rule every id follows, named escaped
        HttpResponse<byte[]> forged = get("/api/cameras/gate%0A12:00%20ERROR%1B%5B31m/models");
        assertThat(forged.statusCode()).isEqualTo(400);
        assertThat(new String(forged.body())).contains("camera id 'gate").contains("12:00 ERROR")
                .doesNotContain("\u001b").doesNotContain("\n12:00");
        assertThat(get("/api/alerts?camera=" + "x".repeat(65)).statusCode()).isEqualTo(400);

        JsonNode models = getJson("/api/cameras/" + CAMERA + "/models");
        assertThat(models.size()).isEqualTo(1);
        assertThat(models.get(0).path("active").asBoolean()).isTrue();

        String id = alert[0].path("alert").path("id").asText();
        // a change carries the session's anti-CSRF token, as the page sends it
        String csrf = getJson(WebServer.SESSION_PATH).path("csrf").asText();
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/api/alerts/"
                + id + "/ack")).header("Authorization", "Bearer " + TOKEN).header(WebServer.CSRF_HEADER, csrf)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        assertThat(getJson("/api/alerts?camera=" + CAMERA).get(0).path("acknowledged").asBoolean()).isTrue();

        // the operator confirms the alert as normal: its frames go to the scorer, whose answer the camera shows
        HttpResponse<String> normal = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                        + server.port() + "/api/alerts/" + id + "/normal")).header("Authorization", "Bearer " + TOKEN)
                .header(WebServer.CSRF_HEADER, csrf).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"reason\": \"a delivery van\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(normal.statusCode()).as(normal.body()).isEqualTo(200);
        JsonNode confirmed = JSON.readTree(normal.body());
        assertThat(confirmed.path("from_seq").asLong()).isEqualTo(alert[0].path("alert").path("start_seq").asLong());
        assertThat(getJson("/api/alerts?camera=" + CAMERA).get(0).path("confirmed_normal").asBoolean()).isTrue();
        JsonNode[] refinement = new JsonNode[1];
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            refinement[0] = getJson("/api/cameras/" + CAMERA).path("refinement");
            return refinement[0].path("feedback").asText().equals(confirmed.path("feedback").asText())
                    && !refinement[0].path("state").asText().equals("queued");
        });
        // a model without a patch memory cannot be refined: refused, and the operator sees why
        assertThat(refinement[0].path("state").asText()).isEqualTo("refused");
        assertThat(refinement[0].path("reason").asText()).contains("has no patch memory");

        // footage at rest is its owner's alone: the broker's logs and the scorer's state stores
        if (dev.vigil.files.PrivateFiles.posix(dir)) {
            for (Path own : new Path[]{dir.resolve("kafka"), dir.resolve("state")}) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(own)))
                        .as(own.toString()).isEqualTo("rwx------");
            }
        }

        String metrics = new String(get(WebServer.METRICS_PATH).body());
        assertThat(metrics).contains("vigil_frames_in_total{camera=\"gate\"}", "vigil_frames_out_total{camera=\"gate\"}",
                "vigil_scoring_latency_seconds_bucket", "vigil_batch_size_frames_bucket", "vigil_model_load_seconds_count",
                "kafka_consumer_fetch_manager_records_lag_max");
        assertThat(metrics).containsPattern("vigil_alerts_raised_total(\\{[^}]*\\})? [1-9]");
    }

    @Test
    void aBrowserSeesTheCameraTileWithItsOverlayAndTheAlertAppear() throws Exception {
        Optional<Path> chromium = HeadlessChromium.find();
        assumeTrue(chromium.isPresent(), "chromium is not on the PATH: this test loads the dashboard in headless "
                + "Chromium (.ci/run installs Debian's package; or apt-get install chromium)");
        try (HeadlessChromium browser = HeadlessChromium.start(chromium.get(), dir.resolve("chromium"), 1280, 760)) {
            browser.navigate("http://localhost:" + server.port() + "/?token=" + TOKEN);
            String tile = "document.querySelector('.tile[data-camera=\"" + CAMERA + "\"] canvas')";
            await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> browser.evaluate(
                    tile + ".dataset.overlay === 'drawn'").asBoolean());
            // the alert arrives in the feed with its snapshot loaded
            await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> browser.evaluate(
                    "[...document.querySelectorAll('#alerts .alert img')].some(i => i.complete && i.naturalWidth > 0)")
                    .asBoolean());
            assertThat(browser.evaluate("document.querySelector('#connection').textContent").asText())
                    .isEqualTo("live");
            // an operator's alert offers "normal" (or says it was confirmed so, by the API test)
            assertThat(browser.evaluate("[...document.querySelectorAll('#alerts .alert button, #alerts .alert .hint')]"
                    + ".some(e => e.textContent === 'normal' || e.textContent === 'confirmed normal')").asBoolean())
                    .isTrue();
            // the page's own change carries its anti-CSRF token and passes every guard (no such alert: 404)
            browser.evaluate("window.vigilPost = 0; post('/api/alerts/no-such-alert/ack')"
                    + ".then(r => { window.vigilPost = r.status; }); 0");
            await().atMost(Duration.ofSeconds(30)).until(() -> browser.evaluate("window.vigilPost").asInt() == 404);
            // the scores of the crossing, and of the frames after it, for the picture
            replay.join(120_000);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> browser.evaluate(
                    tile + ".dataset.overlay === 'drawn'").asBoolean());
            byte[] png = browser.screenshot();
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target", "dashboard.png"), png);
            if (Boolean.getBoolean("vigil.docs.update")) {
                Files.write(Path.of("docs", "images", "dashboard.png"), png);
            }
            assertThat(png).hasSizeGreaterThan(10_000);
        }
    }
}
