package dev.vigil.topology;

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
import dev.vigil.padim.Provenance;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import dev.vigil.web.Access;
import dev.vigil.web.DashboardApi;
import dev.vigil.web.DashboardFeed;
import dev.vigil.web.Health;
import dev.vigil.web.WebServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Versions of a camera's model on the models topic, against a real broker: several coexist, `model list` shows
 * them with their provenance, `model activate` rolls the scorer back between two frames, an activation of a version
 * the scorer lacks is refused, and publishing past the retention tombstones the oldest. What they show as active is
 * what the scorer reported it uses: a version it refused is shown refused, with its reason.
 */
class ModelVersionsTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);

    @Test
    void aCameraIsRolledBackToAnOlderVersionBetweenTwoFrames(@TempDir Path dir) throws Exception {
        Path v1 = dir.resolve("v1.vgm");
        Path v2 = dir.resolve("v2.vgm");
        Path clip = dir.resolve("gate.mp4");
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            List<RgbImage> normal = IntStream.range(0, 40).mapToObj(SCENE::frame).toList();
            PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                    new FitOptions(10, 3, 0.01, 16, 0, 0, "gate")).fit(normal.iterator());
            Provenance p = new Provenance("train", "gate", List.of("synthetic"), 40, Instant.parse("2026-01-01T00:00:00Z"),
                    Instant.parse("2026-01-01T00:00:04Z"), "none", 0, 0);
            ModelFile.write(v1, new PadimModel(model.info().withProvenance(p)
                    .withThreshold(model.info().threshold().withThreshold(30)), model.gaussian()));
            ModelFile.write(v2, new PadimModel(model.info().withProvenance(p)
                    .withThreshold(model.info().threshold().withThreshold(40)), model.gaussian()));
            model.gaussian().close();
            VideoWriter.write(clip, IntStream.range(40, 60).mapToObj(SCENE::frame).toList(), 10);

            try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
                 ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20))) {
                var kafka = broker.connection();
                String bootstrap = broker.bootstrap();
                try (ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123",
                        ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                    ModelPublisher.publish(kafka, "gate", v1, 1000, 64 * 1024);
                    await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);
                    ModelPublisher.publish(kafka, "gate", v2, 2000, 64 * 1024);
                    await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 2);

                    // the scorer's report of version 2000 is committed with its activation, a moment after the count
                    await().atMost(Duration.ofSeconds(30)).until(() -> lineOf(VigilRun.of("model", "list", "--camera",
                            "gate", "--bootstrap", bootstrap).out(), "2000").contains(" * "));
                    VigilRun list = VigilRun.of("model", "list", "--camera", "gate", "--bootstrap", bootstrap);
                    assertThat(list.exit()).as(list.toString()).isZero();
                    assertThat(list.out()).contains("VERSION", "PROVENANCE", "1000", "2000", "train, 40 frames",
                            "30.0000", "40.0000", "fixed:40");
                    assertThat(list.out().lines().filter(l -> l.startsWith("2000")).findFirst().orElseThrow())
                            .contains(" * ");
                    VigilRun json = VigilRun.of("model", "list", "--camera", "gate", "--json", "--bootstrap", bootstrap);
                    assertThat(json.out()).contains("\"version\" : 1000", "\"active\" : true", "\"backbone_sha256\"",
                            "\"kind\" : \"train\"");

                    VigilRun missing = VigilRun.of("model", "activate", "--camera", "gate", "--version", "999",
                            "--bootstrap", bootstrap);
                    assertThat(missing.exit()).isEqualTo(1);
                    assertThat(missing.err()).contains("camera gate has no complete version 999", "[1000, 2000]");

                    VigilRun rollback = VigilRun.of("model", "activate", "--camera", "gate", "--version", "1000",
                            "--bootstrap", bootstrap);
                    assertThat(rollback.exit()).as(rollback.toString()).isZero();
                    assertThat(rollback.out()).contains("version 1000", "was 2000");
                    await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 3);
                    await().atMost(Duration.ofSeconds(30)).until(() -> VigilRun.of("model", "list", "--camera", "gate",
                            "--bootstrap", bootstrap).out().lines().filter(l -> l.contains(" * ")).toList(),
                            l -> l.size() == 1 && l.get(0).startsWith("1000"));

                    Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                    List<AnomalyMapRecord> maps = ScoringTopologyTest.readUntil(kafka, Topics.ANOMALY_MAPS, 20);
                    assertThat(maps).allSatisfy(m -> {
                        assertThat(m.modelVersion()).isEqualTo(1000);
                        assertThat(m.threshold()).isEqualTo(30.0);
                    });

                    // an activation the scorer cannot obey: refused with the reason, v1 keeps scoring
                    try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 1 << 20)) {
                        producer.send(ModelRecords.toRecord(ModelRecords.Control.activate("gate", 999),
                                System.currentTimeMillis(), Topics.PARTITIONS)).get();
                    }
                    var dead = ScoringTopologyTest.readCount(kafka, Topics.DEAD_LETTERS, 1);
                    assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.REASON))
                            .contains("activation of model version 999 refused", "version 1000 stays in use",
                                    "holds no such version");
                    Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                    assertThat(ScoringTopologyTest.readUntil(kafka, Topics.ANOMALY_MAPS, 40).subList(20, 40))
                            .allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1000));
                }

                // past the retention of 3 versions, the oldest is tombstoned; the one the scorer last reported it
                // uses stays (it is stopped: 4000 is only pending)
                ModelPublisher.publish(kafka, "gate", v2, 3000, 64 * 1024);
                ModelPublisher.publish(kafka, "gate", v1, 4000, 64 * 1024);
                ModelPublisher.publish(kafka, "gate", v2, 5000, 64 * 1024);
                VigilRun after = VigilRun.of("model", "list", "--camera", "gate", "--bootstrap", bootstrap);
                assertThat(after.out().lines().skip(1).map(l -> l.split(" ")[0]).toList())
                        .containsExactly("1000", "3000", "4000", "5000");
                assertThat(lineOf(after.out(), "1000")).contains(" * ");
                assertThat(lineOf(after.out(), "5000")).contains(" pending ");
            }
        }
    }

    @Test
    void aVersionTheScorerRefusesIsShownRefusedWithItsReasonAndTheGoodOneActive(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.vgm");
        Path clip = dir.resolve("gate.mp4");
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                    new FitOptions(10, 3, 0.01, 16, 0, 0, "gate"))
                    .fit(IntStream.range(0, 40).mapToObj(SCENE::frame).iterator());
            ModelFile.write(good, new PadimModel(model.info().withThreshold(model.info().threshold().withThreshold(30)),
                    model.gaussian()));
            model.gaussian().close();
            VideoWriter.write(clip, IntStream.range(40, 60).mapToObj(SCENE::frame).toList(), 10);

            try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
                 ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20))) {
                var kafka = broker.connection();
                String bootstrap = broker.bootstrap();
                ModelPublisher.publish(kafka, "gate", good, 1000, 64 * 1024);

                // no scorer has run: nothing is known to be active, the version asked for is pending
                VigilRun before = VigilRun.of("model", "list", "--camera", "gate", "--bootstrap", bootstrap);
                assertThat(before.exit()).as(before.toString()).isZero();
                assertThat(lineOf(before.out(), "1000")).contains(" pending ").doesNotContain(" * ");
                assertThat(before.err()).contains("no scorer has reported on camera gate yet");

                try (ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123",
                        ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")));
                     DashboardFeed feed = DashboardFeed.start(kafka);
                     WebServer web = WebServer.start(new InetSocketAddress("localhost", 0), new Health(
                                     () -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of())),
                             new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new DashboardApi(feed, kafka),
                             Access.open())) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);

                    // version 2000: every chunk consistent with its headers, one byte of the last one damaged, so
                    // the file fails its checksum only once reassembled
                    List<ModelChunk> chunks = new ArrayList<>();
                    ModelChunks.split(good, "gate", 2000, 64 * 1024, chunks::add);
                    assertThat(chunks).hasSizeGreaterThan(1);
                    try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 1 << 20)) {
                        for (ModelChunk c : chunks) {
                            byte[] data = c.data().clone();
                            if (c.index() == c.count() - 1) {
                                data[data.length / 2] ^= 0x5a;
                            }
                            producer.send(ModelRecords.toRecord(new ModelChunk(c.camera(), c.version(), c.index(),
                                    c.count(), c.chunkBytes(), c.totalBytes(), c.sha256(), data),
                                    Topics.PARTITIONS)).get();
                        }
                    }
                    await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsRefused() == 1);

                    // the scorer keeps scoring with the good version
                    Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                    assertThat(ScoringTopologyTest.readUntil(kafka, Topics.ANOMALY_MAPS, 20))
                            .allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1000));

                    // model list: the good version active, the damaged one refused with the scorer's reason
                    await().atMost(Duration.ofSeconds(30)).until(() -> lineOf(VigilRun.of("model", "list",
                            "--camera", "gate", "--bootstrap", bootstrap).out(), "2000").contains(" refused "));
                    VigilRun list = VigilRun.of("model", "list", "--camera", "gate", "--bootstrap", bootstrap);
                    assertThat(list.exit()).as(list.toString()).isZero();
                    assertThat(lineOf(list.out(), "1000")).contains(" * ");
                    assertThat(lineOf(list.out(), "2000")).doesNotContain(" * ")
                            .contains("refused: model for camera gate version 2000 refused: checksum mismatch after "
                                    + "reassembly");
                    assertThat(list.err()).doesNotContain("no scorer has reported");
                    JsonNode rows = JSON.readTree(VigilRun.of("model", "list", "--camera", "gate", "--json",
                            "--bootstrap", bootstrap).out());
                    assertThat(rows).hasSize(2);
                    assertThat(rows.get(0).path("state").asText()).isEqualTo("active");
                    assertThat(rows.get(0).path("active").asBoolean()).isTrue();
                    assertThat(rows.get(1).path("state").asText()).isEqualTo("refused");
                    assertThat(rows.get(1).path("active").asBoolean()).isFalse();
                    assertThat(rows.get(1).path("refused_reason").asText()).contains("checksum mismatch");

                    // so does the dashboard's API, and its camera summary carries the scorer's report
                    HttpClient http = HttpClient.newHttpClient();
                    JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                            + web.port() + "/api/cameras/gate/models")).build(), HttpResponse.BodyHandlers.ofString())
                            .body());
                    assertThat(models).hasSize(2);
                    assertThat(models.get(0).path("version").asLong()).isEqualTo(1000);
                    assertThat(models.get(0).path("active").asBoolean()).isTrue();
                    assertThat(models.get(1).path("version").asLong()).isEqualTo(2000);
                    assertThat(models.get(1).path("active").asBoolean()).isFalse();
                    assertThat(models.get(1).path("state").asText()).isEqualTo("refused");
                    assertThat(models.get(1).path("refused_reason").asText()).contains("checksum mismatch");
                    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                        JsonNode camera = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(
                                "http://localhost:" + web.port() + "/api/cameras/gate")).build(),
                                HttpResponse.BodyHandlers.ofString()).body()).path("model_versions");
                        return camera.path("active_version").asLong() == 1000
                                && camera.path("refused").get(0).path("version").asLong() == 2000;
                    });

                    // and the commands that act on the active version take the scorer's
                    VigilRun again = VigilRun.of("model", "activate", "--camera", "gate", "--version", "1000",
                            "--bootstrap", bootstrap);
                    assertThat(again.out()).contains("version 1000 of camera gate is already active");
                }
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The row of {@code version} in {@code model list}'s table. */
    private static String lineOf(String table, String version) {
        return table.lines().filter(l -> l.startsWith(version + " ")).findFirst().orElse("");
    }
}
