package dev.vigil.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.KafkaConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The attacks on the dashboard that a page of another site, a rebound DNS name or a viewer can try, each refused on
 * a real server: a cross-site POST (foreign Origin, or a text/plain body without the anti-CSRF token, as an HTML
 * form sends), a foreign Host, the login link as an open redirect, a viewer acknowledging or activating. The API's
 * own behaviour behind the guards needs no broker: an alert nobody has seen is a 404, which shows a request got
 * through.
 */
class DashboardSecurityTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPERATOR = "operator-token-for-tests";
    private static final String VIEWER = "viewer-token-for-tests";
    private static final String ACK = "/api/alerts/gate-1-42/ack";
    private static final String ACTIVATE = "/api/cameras/gate/models/7/activate";
    private static final String NORMAL = "/api/alerts/gate-1-42/normal";

    private DashboardFeed feed;
    private WebServer server;

    /** A dashboard with no broker behind it (nothing listens on port 9): the guards do not need one. */
    private WebServer start(Access access, AllowedHosts hosts) throws IOException {
        KafkaConnection nowhere = KafkaConnection.plain("localhost:9");
        feed = DashboardFeed.start(nowhere);
        server = WebServer.start(new InetSocketAddress("localhost", 0), new Health(
                () -> new Health.Check(true, Map.of()), () -> new Health.Check(true, Map.of())),
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT),
                new DashboardApi(feed, nowhere), access, hosts);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (feed != null) {
            feed.close();
        }
    }

    private String origin() {
        return "http://localhost:" + server.port();
    }

    private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The session of a token: its role and its anti-CSRF token, as the page reads them. */
    private JsonNode session(String token) throws Exception {
        HttpResponse<String> r = send("GET", WebServer.SESSION_PATH, Map.of("Authorization", "Bearer " + token), null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** What the login link's cookie carries: the token, as a browser sends it with every request to the server. */
    private static Map<String, String> cookie(String token) {
        return Map.of("Cookie", Access.COOKIE + "=" + token);
    }

    /** A request the HTTP client would not send: another Host, a backslash in the path. */
    private String raw(String requestLineAndHeaders) throws IOException {
        try (Socket socket = new Socket("localhost", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write((requestLineAndHeaders + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Map<String, String> with(Map<String, String> a, String... more) {
        Map<String, String> all = new java.util.HashMap<>(a);
        for (int i = 0; i < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return all;
    }

    @Test
    void aCrossSitePostIsRefusedWhateverItCarries() throws Exception {
        start(Access.token("vigil", OPERATOR), AllowedHosts.LOCAL);
        String csrf = session(OPERATOR).path("csrf").asText();
        // a page of evil.example posts to the dashboard; the browser adds the cookie (even the token would not help)
        for (String path : List.of(ACK, ACTIVATE, NORMAL)) {
            HttpResponse<String> forged = send("POST", path, with(cookie(OPERATOR), "Origin", "http://evil.example",
                    "Content-Type", "text/plain", WebServer.CSRF_HEADER, csrf), "x=1");
            assertThat(forged.statusCode()).as(forged.body()).isEqualTo(403);
            assertThat(forged.body()).contains("another site").contains("evil.example");
        }
        // a browser that sends no Origin still says where the request came from
        HttpResponse<String> fetchSite = send("POST", ACK, with(cookie(OPERATOR), "Sec-Fetch-Site", "cross-site",
                WebServer.CSRF_HEADER, csrf), null);
        assertThat(fetchSite.statusCode()).isEqualTo(403);
        assertThat(fetchSite.body()).contains("Sec-Fetch-Site");
        // a sibling subdomain is another site too
        assertThat(send("POST", ACK, with(cookie(OPERATOR), "Sec-Fetch-Site", "same-site", WebServer.CSRF_HEADER,
                csrf), null).statusCode()).isEqualTo(403);
        // another port of the same host is another origin
        assertThat(send("POST", ACK, with(cookie(OPERATOR), "Origin", "http://localhost:1", WebServer.CSRF_HEADER,
                csrf), null).statusCode()).isEqualTo(403);
    }

    @Test
    void aTextPlainPostWithoutTheAntiCsrfTokenIsRefusedEvenFromTheSameOrigin() throws Exception {
        start(Access.token("vigil", OPERATOR), AllowedHosts.LOCAL);
        // what an HTML form can send: a simple request, no custom header
        HttpResponse<String> form = send("POST", ACK, with(cookie(OPERATOR), "Origin", origin(), "Content-Type",
                "text/plain"), "{\"ack\": true}");
        assertThat(form.statusCode()).isEqualTo(403);
        assertThat(form.body()).contains(WebServer.CSRF_HEADER);
        assertThat(send("POST", ACK, with(cookie(OPERATOR), "Origin", origin(), WebServer.CSRF_HEADER,
                "a-guess"), null).statusCode()).isEqualTo(403);

        // the page's own request: same origin, the session's token; it reaches the API (no such alert: 404)
        JsonNode session = session(OPERATOR);
        assertThat(session.path("role").asText()).isEqualTo("operator");
        assertThat(session.path("csrf_header").asText()).isEqualTo(WebServer.CSRF_HEADER);
        HttpResponse<String> page = send("POST", ACK, with(cookie(OPERATOR), "Origin", origin(), "Sec-Fetch-Site",
                "same-origin", WebServer.CSRF_HEADER, session.path("csrf").asText()), null);
        assertThat(page.statusCode()).as(page.body()).isEqualTo(404);
        assertThat(page.body()).contains("no recent alert gate-1-42");
        // a client that is no browser sends neither Origin nor Sec-Fetch-Site: its token and the CSRF token do
        assertThat(send("POST", ACK, Map.of("Authorization", "Bearer " + OPERATOR, WebServer.CSRF_HEADER,
                session.path("csrf").asText()), null).statusCode()).isEqualTo(404);
    }

    @Test
    void confirmingAnAlertAsNormalIsAnOperatorsChangeGuardedLikeTheOthers() throws Exception {
        start(Access.tokens("vigil", OPERATOR, VIEWER), AllowedHosts.LOCAL);
        String body = "{\"reason\": \"the delivery van\"}";
        // an HTML form's POST from the page's own origin: no anti-CSRF token
        HttpResponse<String> form = send("POST", NORMAL, with(cookie(OPERATOR), "Origin", origin(), "Content-Type",
                "text/plain"), body);
        assertThat(form.statusCode()).isEqualTo(403);
        assertThat(form.body()).contains(WebServer.CSRF_HEADER);
        // a viewer, even with its own session's token
        HttpResponse<String> viewer = send("POST", NORMAL, with(cookie(VIEWER), "Origin", origin(),
                WebServer.CSRF_HEADER, session(VIEWER).path("csrf").asText()), body);
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(viewer.body()).contains("viewer").contains("confirming it normal");
        // another site's page, with the operator's cookie and token
        assertThat(send("POST", NORMAL, with(cookie(OPERATOR), "Origin", "http://evil.example",
                WebServer.CSRF_HEADER, session(OPERATOR).path("csrf").asText()), body).statusCode()).isEqualTo(403);
        // the operator's page gets through to the API: no such alert here (404), named escaped
        HttpResponse<String> operator = send("POST", NORMAL, with(cookie(OPERATOR), "Origin", origin(),
                "Sec-Fetch-Site", "same-origin", WebServer.CSRF_HEADER, session(OPERATOR).path("csrf").asText()),
                body);
        assertThat(operator.statusCode()).as(operator.body()).isEqualTo(404);
        assertThat(operator.body()).contains("no recent alert gate-1-42");
        // GET is no way around it
        assertThat(send("GET", NORMAL, cookie(OPERATOR), null).statusCode()).isIn(404, 405);
    }

    @Test
    void theDemosOpenDashboardRefusesCrossSitePostsToo() throws Exception {
        start(Access.open(), AllowedHosts.LOCAL);
        assertThat(send("POST", ACTIVATE, Map.of("Origin", "http://evil.example", "Content-Type", "text/plain"),
                "x").statusCode()).isEqualTo(403);
        assertThat(send("POST", ACK, Map.of("Content-Type", "text/plain"), "x").statusCode()).isEqualTo(403);
        String csrf = JSON.readTree(send("GET", WebServer.SESSION_PATH, Map.of(), null).body()).path("csrf").asText();
        assertThat(send("POST", ACK, Map.of("Origin", origin(), WebServer.CSRF_HEADER, csrf), null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aForeignHostIsRefusedWhileProbesAndMetricsAnswerAnyName() throws Exception {
        start(Access.open(), AllowedHosts.of(List.of("vigil.example.com")));
        // DNS rebinding: evil.example now resolves to 127.0.0.1; the browser sends its own name
        String rebound = raw("GET /api/cameras HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\n");
        assertThat(rebound).startsWith("HTTP/1.1 421").contains("evil.example").doesNotContain("[]");
        assertThat(raw("GET / HTTP/1.1\r\nHost: localhost.evil.example\r\n")).startsWith("HTTP/1.1 421");
        // Kubernetes probes and Prometheus address the pod by its IP, or by any name
        assertThat(raw("GET /health/live HTTP/1.1\r\nHost: evil.example\r\n")).startsWith("HTTP/1.1 200");
        assertThat(raw("GET /metrics HTTP/1.1\r\nHost: evil.example\r\n")).startsWith("HTTP/1.1 200");
        // loopback names, IP addresses and the names allowed are served
        for (String host : List.of("localhost:" + server.port(), "127.0.0.1:" + server.port(), "[::1]:8080",
                "10.1.2.3:8080", "vigil.example.com", "VIGIL.example.com:443")) {
            assertThat(raw("GET /api/cameras HTTP/1.1\r\nHost: " + host + "\r\n")).as(host)
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void theLoginLinkRedirectsToLocalPathsOnly() throws Exception {
        start(Access.token("vigil", OPERATOR), AllowedHosts.LOCAL);
        for (String path : List.of("//evil.example/x", "/\\evil.example/x", "///evil.example", "/%5Cevil.example",
                "/%2F%2Fevil.example")) {
            String answer = raw("GET " + path + "?token=" + OPERATOR + " HTTP/1.1\r\nHost: localhost\r\n");
            if (answer.startsWith("HTTP/1.1 303")) {
                // a browser reads // and /\ as another host; an encoded slash or backslash stays in the path
                String location = answer.lines().filter(l -> l.regionMatches(true, 0, "Location: ", 0, 10))
                        .findFirst().orElseThrow().substring(10);
                assertThat(location).as(path).startsWith("/").doesNotStartWith("//").doesNotStartWith("/\\");
                if (path.startsWith("//") || path.startsWith("/\\")) {
                    assertThat(location).as(path).isEqualTo("/");
                }
            } else {
                // or refused outright by Jetty as an ambiguous path: no redirect either way
                assertThat(answer).as(path).startsWith("HTTP/1.1 400");
            }
        }
        HttpResponse<String> local = send("GET", "/api/alerts?token=" + OPERATOR, Map.of(), null);
        assertThat(local.statusCode()).isEqualTo(303);
        assertThat(local.headers().firstValue("Location")).contains("/api/alerts");
        assertThat(WebServer.localPath("/api/cameras/gate")).isEqualTo("/api/cameras/gate");
        assertThat(WebServer.localPath("https://evil.example/")).isEqualTo("/");
        assertThat(WebServer.localPath("/\tevil")).isEqualTo("/");
    }

    @Test
    void aViewerSeesButCannotAcknowledgeConfirmOrActivate() throws Exception {
        start(Access.tokens("vigil", OPERATOR, VIEWER), AllowedHosts.LOCAL);
        assertThat(send("GET", "/api/cameras", cookie(VIEWER), null).statusCode()).isEqualTo(200);
        JsonNode session = session(VIEWER);
        assertThat(session.path("role").asText()).isEqualTo("viewer");
        for (String path : List.of(ACK, ACTIVATE, NORMAL)) {
            HttpResponse<String> r = send("POST", path, with(cookie(VIEWER), "Origin", origin(),
                    WebServer.CSRF_HEADER, session.path("csrf").asText()), null);
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            assertThat(r.body()).contains("viewer");
        }
        // nor with the operator's anti-CSRF token, which a viewer could not get anyway
        assertThat(send("POST", ACK, with(cookie(VIEWER), "Origin", origin(), WebServer.CSRF_HEADER,
                session(OPERATOR).path("csrf").asText()), null).statusCode()).isEqualTo(403);
        assertThat(send("POST", ACK, with(cookie(OPERATOR), "Origin", origin(), WebServer.CSRF_HEADER,
                session(OPERATOR).path("csrf").asText()), null).statusCode()).isEqualTo(404);
        assertThatThrownBy(() -> Access.tokens("vigil", OPERATOR, OPERATOR)).hasMessageContaining("its own");
    }

    @Test
    void everyDashboardResponseCarriesTheSecurityHeaders() throws Exception {
        start(Access.token("vigil", OPERATOR), AllowedHosts.LOCAL);
        for (HttpResponse<String> r : List.of(send("GET", "/", cookie(OPERATOR), null),
                send("GET", "/app.js", cookie(OPERATOR), null), send("GET", "/api/cameras", Map.of(), null),
                send("POST", ACK, cookie(OPERATOR), null))) {
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(r.uri().toString())
                    .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'self'")
                            .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline"));
            assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
            assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
            assertThat(r.headers().firstValue("Referrer-Policy")).contains("same-origin");
        }
        // the page is compatible with its policy: no inline script or style
        String page = send("GET", "/", cookie(OPERATOR), null).body();
        assertThat(page).doesNotContainPattern("<script>|<script [^>]*>[^<]+</script>|<style|\\sstyle=|\\son[a-z]+=");
    }
}
