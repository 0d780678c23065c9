package dev.vigil.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Debian's {@code chromium}, headless, driven over the Chrome DevTools protocol with the JDK's own WebSocket client
 * (no npm, no driver binary): one page, navigated, evaluated, and photographed.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://[^\\s]+)");

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** The browser to run: {@code chromium} (Debian) or {@code chromium-browser}, from the PATH. */
    public static Optional<Path> find() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of("chromium", "chromium-browser").flatMap(name -> Stream.of(path.split(":"))
                .map(dir -> Path.of(dir, name))).filter(Files::isExecutable).findFirst();
    }

    /** Starts the browser with one blank page of {@code width x height} CSS pixels. */
    public static HeadlessChromium start(Path binary, Path profile, int width, int height) throws Exception {
        Path log = profile.resolve("chromium.log");
        Files.createDirectories(profile);
        Process process = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0",
                "--user-data-dir=" + profile.resolve("profile"), "--window-size=" + width + "," + height,
                "about:blank").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String[] browser = new String[1];
            await().atMost(Duration.ofSeconds(60)).failFast("chromium exited", () -> !process.isAlive())
                    .until(() -> {
                        Matcher m = DEVTOOLS.matcher(Files.readString(log));
                        if (m.find()) {
                            browser[0] = m.group(1);
                        }
                        return browser[0] != null;
                    });
            URI endpoint = URI.create(browser[0]);
            HttpClient http = HttpClient.newHttpClient();
            String[] page = new String[1];
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://"
                        + endpoint.getHost() + ":" + endpoint.getPort() + "/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode t : targets) {
                    if (t.path("type").asText().equals("page")) {
                        page[0] = t.path("webSocketDebuggerUrl").asText();
                    }
                }
                return page[0] != null;
            });
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(page[0]), new WebSocket.Listener() {
                private final StringBuilder text = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                        self[0].answer(text.toString());
                        text.setLength(0);
                    }
                    ws.request(1);
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
            self[0] = new HeadlessChromium(process, socket);
            self[0].call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
                    "deviceScaleFactor", 1, "mobile", false));
            return self[0];
        } catch (Exception | AssertionError e) {
            process.destroyForcibly();
            throw new IOException("chromium did not start: " + e.getMessage() + "\n--- its output\n"
                    + (Files.exists(log) ? Files.readString(log) : ""), e);
        }
    }

    private void answer(String message) {
        try {
            JsonNode m = JSON.readTree(message);
            CompletableFuture<JsonNode> f = m.has("id") ? waiting.remove(m.get("id").asInt()) : null;
            if (f != null) {
                if (m.has("error")) {
                    f.completeExceptionally(new IOException("DevTools: " + m.get("error")));
                } else {
                    f.complete(m.path("result"));
                }
            }
        } catch (IOException e) {
            // an event we do not follow, or noise: nothing waits on it
        }
    }

    /** Sends one DevTools command and waits for its result. */
    public JsonNode call(String method, Map<String, ?> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> result = new CompletableFuture<>();
        waiting.put(id, result);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(message), true).get(30, TimeUnit.SECONDS);
        return result.get(60, TimeUnit.SECONDS);
    }

    public void navigate(String url) throws Exception {
        call("Page.navigate", Map.of("url", url));
    }

    /** The value of a JavaScript expression in the page (JSON-compatible values only). */
    public JsonNode evaluate(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (r.has("exceptionDetails")) {
            throw new IOException("page threw on " + expression + ": " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** A PNG of the page as it is shown. */
    public byte[] screenshot() throws Exception {
        return Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png")).path("data")
                .asText());
    }

    @Override
    public void close() {
        socket.abort();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
