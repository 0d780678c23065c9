package dev.vigil.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;

/**
 * Serve's HTTP listener (Javalin on Jetty), on one port:
 * <ul>
 *   <li>{@code /health/live}, {@code /health/ready}: the probes ({@link Health}), never authenticated;</li>
 *   <li>{@code /metrics}: the Prometheus registry's scrape, never authenticated (it holds counts and camera ids,
 *       no pictures and no credentials), when a registry is given;</li>
 *   <li>the dashboard ({@code /}, its assets) and its API ({@code /api/...}, {@link DashboardApi}), behind
 *       {@link Access}, when a dashboard is given.</li>
 * </ul>
 */
public final class WebServer implements AutoCloseable {
    public static final String METRICS_PATH = "/metrics";
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PUBLIC = Set.of(Health.LIVE_PATH, Health.READY_PATH, METRICS_PATH);
    private static final Map<String, String> ASSETS = Map.of("/", "index.html", "/app.js", "app.js",
            "/style.css", "style.css");

    private final Javalin app;

    private WebServer(Javalin app) {
        this.app = app;
    }

    /**
     * Listens on {@code address} (port 0: any free port) until closed.
     *
     * @param metrics   null for no {@code /metrics}
     * @param dashboard null for no dashboard and API
     * @param access    who may use the dashboard (ignored without one)
     * @throws IOException naming the address when it cannot be bound
     */
    public static WebServer start(InetSocketAddress address, Health health, PrometheusMeterRegistry metrics,
                                  DashboardApi dashboard, Access access) throws IOException {
        Javalin app = Javalin.create(config -> configure(config, health, metrics, dashboard, access));
        try {
            app.start(address.getHostString(), address.getPort());
        } catch (RuntimeException e) {
            app.stop();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException || t instanceof io.javalin.util.JavalinBindException) {
                    throw new IOException("cannot listen on " + address + " (" + t.getMessage()
                            + "): give another --http-port, or 0 to turn the listener off", e);
                }
            }
            throw e;
        }
        LOG.info("HTTP on port {}: health checks {} and {}{}{}", app.port(), Health.LIVE_PATH, Health.READY_PATH,
                metrics == null ? "" : ", metrics " + METRICS_PATH,
                dashboard == null ? "" : ", dashboard / (access: " + access + ")");
        return new WebServer(app);
    }

    private static void configure(JavalinConfig config, Health health, PrometheusMeterRegistry metrics,
                                  DashboardApi dashboard, Access access) {
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.http.prefer405over404 = true;
        config.jsonMapper(new JavalinJackson(JSON, false));
        config.routes.get(Health.LIVE_PATH, ctx -> probe(ctx, health.liveness()));
        config.routes.get(Health.READY_PATH, ctx -> probe(ctx, health.readiness()));
        if (metrics != null) {
            config.routes.get(METRICS_PATH, ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
        }
        if (dashboard != null) {
            config.routes.before(ctx -> authenticate(ctx, access));
            ASSETS.forEach((path, file) -> config.routes.get(path, ctx -> asset(ctx, file)));
            dashboard.routes(config.routes);
        }
        config.routes.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty() || ctx.result().startsWith("Endpoint")) {
                ctx.json(Map.of("error", "not found: " + ctx.path() + " (try " + Health.LIVE_PATH + ", "
                        + Health.READY_PATH + (metrics == null ? "" : ", " + METRICS_PATH)
                        + (dashboard == null ? "" : " or /") + ")"));
            }
        });
        config.routes.error(405, ctx -> ctx.header("Allow", "GET")
                .json(Map.of("error", ctx.method() + " not allowed on " + ctx.path() + ": use GET")));
    }

    private static void probe(Context ctx, java.util.function.Supplier<Health.Check> check) {
        var answer = Health.answer(check);
        ctx.status(answer.getKey()).json(answer.getValue());
    }

    private static void authenticate(Context ctx, Access access) {
        if (PUBLIC.contains(ctx.path()) || access.isOpen()) {
            return;
        }
        String query = ctx.queryParam("token");
        if (query != null && access.matches(query) && ctx.method().name().equals("GET")) {
            // a browser opens the link once; the cookie carries the token from then on, out of the address bar
            ctx.cookie(new io.javalin.http.Cookie(Access.COOKIE, query, "/", -1, false, true, null,
                    SameSite.STRICT));
            ctx.redirect(ctx.path(), HttpStatus.SEE_OTHER);
            ctx.skipRemainingHandlers();
            return;
        }
        if (!access.allows(ctx.header("Authorization"), ctx.cookie(Access.COOKIE), null)) {
            ctx.header("WWW-Authenticate", "Basic realm=\"vigil\", charset=\"UTF-8\"");
            throw new io.javalin.http.UnauthorizedResponse("the dashboard needs its token: open /?token=<token>, "
                    + "or send it as a Bearer token or as the password of basic auth");
        }
    }

    private static void asset(Context ctx, String file) throws IOException {
        try (InputStream in = WebServer.class.getResourceAsStream("static/" + file)) {
            if (in == null) {
                throw new IOException("dashboard asset " + file + " is missing from the jar");
            }
            String type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
            ctx.contentType(type + "; charset=utf-8").header("Cache-Control", "no-cache").result(in.readAllBytes());
        }
    }

    /** The port listened on (the one chosen when started with port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
