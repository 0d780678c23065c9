package dev.vigil.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A real {@code vigil serve} process, on the embedded broker, answers its probes. */
class ServeHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void serveIsLiveAndBecomesReadyOnceKafkaStreamsRuns(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.vigil.cli.VigilCommand",
                    "serve", "--bootstrap", broker.bootstrap(), "--backbone",
                    SharedData.backbone("mobilenetv2-l123").toString(), "--state-dir", dir.resolve("state").toString(),
                    "--http-port", String.valueOf(port), "--stats-every", "PT1S"));
            Path log = dir.resolve("serve.log");
            Process serve = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(120)).ignoreExceptions()
                        .failFast("serve exited", () -> !serve.isAlive())
                        .until(() -> WebServerTest.get(port, Health.READY_PATH).statusCode() == 200);
                HttpResponse<String> ready = WebServerTest.get(port, Health.READY_PATH);
                JsonNode body = JSON.readTree(ready.body());
                assertThat(body.path("status").asText()).as(ready.body()).isEqualTo("UP");
                assertThat(body.path("state").asText()).isEqualTo("RUNNING");
                assertThat(body.has("models_loaded")).as(ready.body()).isTrue();

                HttpResponse<String> live = WebServerTest.get(port, Health.LIVE_PATH);
                assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
                assertThat(JSON.readTree(live.body()).path("state").asText()).isEqualTo("RUNNING");

                // Vigil's meters and the Kafka Streams clients' (consumer lag among them), unauthenticated
                HttpResponse<String> metrics = WebServerTest.get(port, WebServer.METRICS_PATH);
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("vigil_alerts_raised_total", "vigil_dead_letters_total",
                        "vigil_scoring_latency_seconds", "kafka_consumer_fetch_manager_records_lag_max",
                        "jvm_memory_used_bytes");
                // no token configured: no dashboard, said so
                assertThat(WebServerTest.get(port, "/api/cameras").statusCode()).isEqualTo(404);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n--- serve's output\n" + Files.readString(log), e);
            } finally {
                serve.destroy();
                serve.waitFor();
            }
        }
    }

    @Test
    void aPortOutOfRangeIsAUsageErrorNamingTheOption() {
        VigilRun run = VigilRun.of("serve", "--http-port", "70000");
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("--http-port", "70000");
    }
}
