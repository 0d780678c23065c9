package dev.vigil.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.untrusted.LogText;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
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
 * The probes and {@code /metrics} answer whatever the {@code Host}: Kubernetes probes and Prometheus address a pod
 * by its IP, and they show no pictures. The dashboard and its API are guarded (docs/operations.md#security):
 * <ol>
 *   <li>a {@code Host} that is none of {@link AllowedHosts} is refused with 421 (DNS rebinding);</li>
 *   <li>no token, no entry (401), unless the access is open;</li>
 *   <li>a change ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE}) needs the operator's role, a page of
 *       the dashboard's own origin, and the anti-CSRF token of {@code /api/session} in {@value #CSRF_HEADER}:
 *       a form or a {@code text/plain} POST from another site has none (403, saying which check failed).</li>
 * </ol>
 * Every response carries a Content-Security-Policy that allows the page its own scripts, styles and images only
 * and no framing, with {@code nosniff}, {@code X-Frame-Options: DENY}, a same-origin referrer policy and a
 * same-origin resource policy (another site's page cannot show the cameras' pictures).
 */
public final class WebServer implements AutoCloseable {
    public static final String METRICS_PATH = "/metrics";
    /** The page's session: its role and its anti-CSRF token. */
    public static final String SESSION_PATH = "/api/session";
    /** The header a change carries its anti-CSRF token in. */
    public static final String CSRF_HEADER = "X-Vigil-CSRF";
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PUBLIC = Set.of(Health.LIVE_PATH, Health.READY_PATH, METRICS_PATH);
    private static final Map<String, String> ASSETS = Map.of("/", "index.html", "/app.js", "app.js",
            "/style.css", "style.css");
    private static final String ROLE = "vigil.role";
    /** The page loads its own scripts, styles and images, connects to itself only, and is framed by nobody. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    private static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            // not no-referrer: with it, browsers send "Origin: null" on the page's own POSTs
            "Referrer-Policy", "same-origin",
            "Cross-Origin-Resource-Policy", "same-origin");

    private final Javalin app;

    private WebServer(Javalin app) {
        this.app = app;
    }

    /** As {@link #start(InetSocketAddress, Health, PrometheusMeterRegistry, DashboardApi, Access, AllowedHosts)}, for
     * loopback names and IP addresses only. */
    public static WebServer start(InetSocketAddress address, Health health, PrometheusMeterRegistry metrics,
                                  DashboardApi dashboard, Access access) throws IOException {
        return start(address, health, metrics, dashboard, access, AllowedHosts.LOCAL);
    }

    /**
     * Listens on {@code address} (port 0: any free port) until closed.
     *
     * @param metrics   null for no {@code /metrics}
     * @param dashboard null for no dashboard and API
     * @param access    who may use the dashboard (ignored without one)
     * @param hosts     the names the dashboard answers to
     * @throws IOException naming the address when it cannot be bound
     */
    public static WebServer start(InetSocketAddress address, Health health, PrometheusMeterRegistry metrics,
                                  DashboardApi dashboard, Access access, AllowedHosts hosts) throws IOException {
        Javalin app = Javalin.create(config -> configure(config, health, metrics, dashboard, access, hosts));
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
        LOG.info("HTTP on {}:{}: health checks {} and {}{}{}", address.getHostString(), app.port(), Health.LIVE_PATH,
                Health.READY_PATH, metrics == null ? "" : ", metrics " + METRICS_PATH,
                dashboard == null ? "" : ", dashboard / (access: " + access + "; hosts: " + hosts + ")");
        return new WebServer(app);
    }

    private static void configure(JavalinConfig config, Health health, PrometheusMeterRegistry metrics,
                                  DashboardApi dashboard, Access access, AllowedHosts hosts) {
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.http.prefer405over404 = true;
        config.jsonMapper(new JavalinJackson(JSON, false));
        config.routes.before(ctx -> SECURITY_HEADERS.forEach(ctx::header));
        config.routes.get(Health.LIVE_PATH, ctx -> probe(ctx, health.liveness()));
        config.routes.get(Health.READY_PATH, ctx -> probe(ctx, health.readiness()));
        if (metrics != null) {
            config.routes.get(METRICS_PATH, ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
        }
        if (dashboard != null) {
            config.routes.before(ctx -> guard(ctx, access, hosts));
            ASSETS.forEach((path, file) -> config.routes.get(path, ctx -> asset(ctx, file)));
            config.routes.get(SESSION_PATH, ctx -> {
                Access.Role role = ctx.attribute(ROLE);
                Map<String, Object> session = new java.util.LinkedHashMap<>();
                session.put("role", role.word());
                session.put("csrf", access.csrf(role));
                session.put("csrf_header", CSRF_HEADER);
                ctx.header("Cache-Control", "no-store").json(session);
            });
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

    /** The dashboard's checks, in order: the Host, the credentials, then for a change its role, origin and token. */
    private static void guard(Context ctx, Access access, AllowedHosts hosts) {
        if (PUBLIC.contains(ctx.path())) {
            return;
        }
        if (!hosts.allows(ctx.header("Host"))) {
            throw new HttpResponseException(HttpStatus.MISDIRECTED_REQUEST.getCode(), "this dashboard does not answer "
                    + "to the name " + LogText.quote(ctx.header("Host")) + ": open it by an allowed name (a DNS "
                    + "name must be given to --dashboard-allowed-hosts)");
        }
        Access.Role role = authenticate(ctx, access);
        if (role == null) {
            return;
        }
        ctx.attribute(ROLE, role);
        if (!changesState(ctx.method())) {
            return;
        }
        if (role != Access.Role.OPERATOR) {
            throw new ForbiddenResponse("refused: a viewer may not change anything (acknowledging an alert, "
                    + "confirming it normal or activating a model needs the operator's token)");
        }
        String crossSite = hosts.crossSiteProblem(ctx.header("Origin"), ctx.header("Sec-Fetch-Site"),
                ctx.header("Host"));
        if (crossSite != null) {
            throw new ForbiddenResponse("refused: " + crossSite + "; changes are accepted from the dashboard's own "
                    + "page only");
        }
        if (!access.csrfMatches(role, ctx.header(CSRF_HEADER))) {
            throw new ForbiddenResponse("refused: a change needs the anti-CSRF token of " + SESSION_PATH + " in the "
                    + CSRF_HEADER + " header (the dashboard's page sends it; reload it if the server restarted)");
        }
    }

    private static boolean changesState(HandlerType method) {
        return method != HandlerType.GET && method != HandlerType.HEAD && method != HandlerType.OPTIONS;
    }

    /** The request's role; null when it was answered here (the {@code ?token=} link's redirect). */
    private static Access.Role authenticate(Context ctx, Access access) {
        if (access.isOpen()) {
            return Access.Role.OPERATOR;
        }
        String query = ctx.queryParam("token");
        if (query != null && ctx.method() == HandlerType.GET && access.tokenRole(query) != null) {
            // a browser opens the link once; the cookie carries the token from then on, out of the address bar
            ctx.cookie(new io.javalin.http.Cookie(Access.COOKIE, query, "/", -1, false, true, null,
                    SameSite.STRICT));
            ctx.redirect(localPath(ctx.path()), HttpStatus.SEE_OTHER);
            ctx.skipRemainingHandlers();
            return null;
        }
        Access.Role role = access.role(ctx.header("Authorization"), ctx.cookie(Access.COOKIE));
        if (role == null) {
            ctx.header("WWW-Authenticate", "Basic realm=\"vigil\", charset=\"UTF-8\"");
            throw new io.javalin.http.UnauthorizedResponse("the dashboard needs its token: open /?token=<token>, "
                    + "or send it as a Bearer token or as the password of basic auth");
        }
        return role;
    }

    /**
     * Where the {@code ?token=} link may send a browser on: a path of this server (one {@code /}, then no
     * {@code /} or {@code \\}, which browsers read as another host), else {@code /}.
     */
    static String localPath(String path) {
        if (path == null || !path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")
                || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\')) {
            return "/";
        }
        return path;
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
