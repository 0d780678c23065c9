package dev.vigil.web;

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

/** The listener alone: probes, metrics and the dashboard's access rules, on a real server. */
class WebServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Probes only: no metrics, no dashboard. */
    private static WebServer start(java.util.function.Supplier<Health.Check> live,
                                   java.util.function.Supplier<Health.Check> ready) throws IOException {
        return WebServer.start(new InetSocketAddress("localhost", 0), new Health(live, ready), null, null,
                Access.open());
    }

    static HttpResponse<String> get(int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDashboardNeedsItsTokenWhileProbesAndMetricsNeedNone() throws Exception {
        var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        registry.counter("vigil.test.counter").increment();
        String token = "s3cret-token-for-tests";
        // a feed that never finds its topics (nothing listens on port 9): the access rules do not need it
        try (DashboardFeed feed = DashboardFeed.start(dev.vigil.stream.KafkaConnection.plain("localhost:9"));
             WebServer server = WebServer.start(new InetSocketAddress("localhost", 0),
                     new Health(() -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of())),
                     registry, new DashboardApi(feed, dev.vigil.stream.KafkaConnection.plain("localhost:9")),
                     Access.token("vigil", token))) {
            assertThat(get(server.port(), Health.LIVE_PATH).statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = get(server.port(), WebServer.METRICS_PATH);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("vigil_test_counter_total 1.0");

            HttpResponse<String> anonymous = get(server.port(), "/api/cameras");
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("Basic"));
            assertThat(anonymous.body()).doesNotContain(token);
            assertThat(get(server.port(), "/", null).statusCode()).isEqualTo(401);
            assertThat(get(server.port(), "/api/cameras", "Bearer wrong-token-guess").statusCode()).isEqualTo(401);

            assertThat(get(server.port(), "/api/cameras", "Bearer " + token).body()).isEqualTo("[]");
            String basic = java.util.Base64.getEncoder().encodeToString(("vigil:" + token).getBytes());
            assertThat(get(server.port(), "/api/cameras", "Basic " + basic).statusCode()).isEqualTo(200);
            HttpResponse<String> page = get(server.port(), "/", "Bearer " + token);
            assertThat(page.body()).contains("<title>Vigil</title>");

            // a browser opens /?token=... once: a cookie, and the token leaves the address bar
            HttpResponse<String> link = get(server.port(), "/?token=" + token);
            assertThat(link.statusCode()).isEqualTo(303);
            String cookie = link.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
            HttpResponse<String> withCookie = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                    + server.port() + "/api/alerts")).header("Cookie", cookie.split(";")[0]).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(withCookie.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aShortTokenIsRefusedSayingWhy() {
        assertThatThrownBy(() -> Access.token("vigil", "short")).hasMessageContaining("at least 12");
    }

    @Test
    void probesAnswer200WhenUpAnd503WhenDownWithTheChecksDetailsAsJson() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        try (WebServer server = start(() -> new Health.Check(true, Map.of("state", "RUNNING")),
                () -> new Health.Check(ready.get(), Map.of("state", ready.get() ? "RUNNING" : "REBALANCING")))) {
            HttpResponse<String> live = get(server.port(), Health.LIVE_PATH);
            assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
            assertThat(live.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(JSON.readTree(live.body()).path("status").asText()).isEqualTo("UP");

            HttpResponse<String> notReady = get(server.port(), Health.READY_PATH);
            assertThat(notReady.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(notReady.body());
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("state").asText()).isEqualTo("REBALANCING");

            ready.set(true);
            assertThat(get(server.port(), Health.READY_PATH).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void unknownPathsAndOtherMethodsAreRefusedNamingWhatWasWrong() throws Exception {
        try (WebServer server = start(() -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of()))) {
            HttpResponse<String> missing = get(server.port(), "/health/liveness");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("/health/liveness", Health.LIVE_PATH);

            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port()
                    + Health.READY_PATH)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).contains("POST");
        }
    }

    @Test
    void aCheckThatThrowsIsDownWithItsMessage() throws Exception {
        try (WebServer server = start(() -> {
                    throw new IllegalStateException("stats unavailable");
                }, () -> new Health.Check(true, Map.of()))) {
            HttpResponse<String> live = get(server.port(), Health.LIVE_PATH);
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("stats unavailable");
        }
    }

    @Test
    void aPortInUseIsRefusedNamingTheAddressAndTheOption() throws Exception {
        try (WebServer first = start(() -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of()))) {
            assertThatThrownBy(() -> WebServer.start(new InetSocketAddress("localhost", first.port()), new Health(() -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of())), null, null,
                    Access.open()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(String.valueOf(first.port()))
                    .hasMessageContaining("--http-port");
        }
    }
}
