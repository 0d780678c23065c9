package dev.vigil.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HealthServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void probesAnswer200WhenUpAnd503WhenDownWithTheChecksDetailsAsJson() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        try (HealthServer server = HealthServer.start(new InetSocketAddress("localhost", 0),
                () -> new HealthServer.Check(true, Map.of("state", "RUNNING")),
                () -> new HealthServer.Check(ready.get(), Map.of("state", ready.get() ? "RUNNING" : "REBALANCING")))) {
            HttpResponse<String> live = get(server.port(), HealthServer.LIVE_PATH);
            assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
            assertThat(live.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(JSON.readTree(live.body()).path("status").asText()).isEqualTo("UP");

            HttpResponse<String> notReady = get(server.port(), HealthServer.READY_PATH);
            assertThat(notReady.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(notReady.body());
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("state").asText()).isEqualTo("REBALANCING");

            ready.set(true);
            assertThat(get(server.port(), HealthServer.READY_PATH).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void unknownPathsAndOtherMethodsAreRefusedNamingWhatWasWrong() throws Exception {
        try (HealthServer server = HealthServer.start(new InetSocketAddress("localhost", 0),
                () -> new HealthServer.Check(true, Map.of()), () -> new HealthServer.Check(true, Map.of()))) {
            HttpResponse<String> missing = get(server.port(), "/health/liveness");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("/health/liveness", HealthServer.LIVE_PATH);

            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port()
                    + HealthServer.READY_PATH)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).contains("POST");
        }
    }

    @Test
    void aCheckThatThrowsIsDownWithItsMessage() throws Exception {
        try (HealthServer server = HealthServer.start(new InetSocketAddress("localhost", 0),
                () -> {
                    throw new IllegalStateException("stats unavailable");
                }, () -> new HealthServer.Check(true, Map.of()))) {
            HttpResponse<String> live = get(server.port(), HealthServer.LIVE_PATH);
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("stats unavailable");
        }
    }

    @Test
    void aPortInUseIsRefusedNamingTheAddressAndTheOption() throws Exception {
        try (HealthServer first = HealthServer.start(new InetSocketAddress("localhost", 0),
                () -> new HealthServer.Check(true, Map.of()), () -> new HealthServer.Check(true, Map.of()))) {
            assertThatThrownBy(() -> HealthServer.start(new InetSocketAddress("localhost", first.port()),
                    () -> new HealthServer.Check(true, Map.of()), () -> new HealthServer.Check(true, Map.of())))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(String.valueOf(first.port()))
                    .hasMessageContaining("--http-port");
        }
    }
}
