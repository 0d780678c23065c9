package dev.vigil.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A minimal HTTP listener for orchestrators' probes: {@code GET /health/live} and {@code GET /health/ready}, each
 * answering 200 when its check is up and 503 when it is down, with a JSON body
 * ({@code {"status": "UP", ...details}}). It knows nothing of what it checks: the caller hands it the two checks.
 * The JDK's own server is enough for two probe paths; a later dashboard may replace it.
 */
public final class HealthServer implements AutoCloseable {
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";

    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The outcome of one check: up or down, and details shown in the body (insertion order kept). */
    public record Check(boolean up, Map<String, Object> details) {
        public Check {
            details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        }
    }

    private final HttpServer server;

    private HealthServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Listens on {@code address} (port 0: any free port) and answers until closed.
     *
     * @throws IOException naming the address when it cannot be bound, e.g. because another process holds the port
     */
    public static HealthServer start(InetSocketAddress address, Supplier<Check> liveness, Supplier<Check> readiness)
            throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new IOException("cannot listen for health checks on " + address + " (" + e.getMessage()
                    + "): give another --http-port, or 0 to turn the listener off", e);
        }
        server.createContext(LIVE_PATH, exchange -> answer(exchange, LIVE_PATH, liveness));
        server.createContext(READY_PATH, exchange -> answer(exchange, READY_PATH, readiness));
        server.createContext("/", exchange -> send(exchange, 404,
                Map.of("error", "not found: " + exchange.getRequestURI().getPath() + " (try " + LIVE_PATH + " or "
                        + READY_PATH + ")")));
        // probes come every few seconds: one daemon thread answers them and never keeps the JVM alive
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vigil-health");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        LOG.info("health checks on http://{}:{}{} and {}", address.getHostString(), server.getAddress().getPort(),
                LIVE_PATH, READY_PATH);
        return new HealthServer(server);
    }

    /** The port listened on (the one chosen when started with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, String path, Supplier<Check> check) throws IOException {
        if (!exchange.getRequestURI().getPath().equals(path)) {
            send(exchange, 404, Map.of("error", "not found: " + exchange.getRequestURI().getPath()));
            return;
        }
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().add("Allow", "GET, HEAD");
            send(exchange, 405, Map.of("error", exchange.getRequestMethod() + " not allowed on " + path + ": use GET"));
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        int status;
        try {
            Check result = check.get();
            body.put("status", result.up() ? "UP" : "DOWN");
            body.putAll(result.details());
            status = result.up() ? 200 : 503;
        } catch (RuntimeException e) {
            // a check that throws is a failed check, said as such, not a dropped connection
            body.put("status", "DOWN");
            body.put("error", String.valueOf(e.getMessage()));
            status = 503;
        }
        send(exchange, status, body);
    }

    private static void send(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }
}
