package dev.vigil.cli;

import dev.vigil.web.Access;
import dev.vigil.web.AllowedHosts;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Who may open the dashboard, and by which names: an operator's token and a viewer's, each from an environment
 * variable or a file (never from the command line, where every user of the machine could read it in the process
 * list), or no authentication when asked for by name. Without any, the dashboard and its API stay off; the health
 * checks and metrics are served regardless.
 */
public class DashboardOptions {
    static final String TOKEN_ENV = "VIGIL_DASHBOARD_TOKEN";
    static final String VIEWER_TOKEN_ENV = "VIGIL_DASHBOARD_VIEWER_TOKEN";

    @Option(names = "--dashboard-token-file", paramLabel = "<file>",
            description = "File holding the dashboard operator's token, who may also acknowledge alerts and activate "
                    + "models (default: $" + TOKEN_ENV + "); browsers open /?token=<token> once, API clients send it "
                    + "as a Bearer token or as the basic-auth password. A file others may read is refused")
    Path tokenFile;

    @Option(names = "--dashboard-viewer-token-file", paramLabel = "<file>",
            description = "File holding the token of dashboard viewers, who see everything and change nothing "
                    + "(default: $" + VIEWER_TOKEN_ENV + ")")
    Path viewerTokenFile;

    @Option(names = "--dashboard-user", paramLabel = "<name>", defaultValue = "vigil",
            description = "User name for basic auth with a token as password (default: ${DEFAULT-VALUE})")
    String user;

    @Option(names = "--dashboard-allowed-hosts", paramLabel = "<host>", split = ",",
            description = "Further names the dashboard answers to (Host header), comma-separated, such as its DNS "
                    + "name behind an ingress: name (any port) or name:port. Always allowed: localhost, 127.0.0.1, "
                    + "[::1] and IP addresses. Others are refused (DNS rebinding); the health checks and metrics "
                    + "answer any name")
    List<String> allowedHosts;

    @Option(names = "--no-auth", description = "Serve the dashboard and its API with no token to anyone who can reach "
            + "the port, as an operator: for local use. The listener binds to localhost unless --http-host is given; "
            + "refused beside a token")
    boolean noAuth;

    /**
     * The dashboard's access, or null when none was configured (no dashboard).
     *
     * @throws IllegalArgumentException naming the file or variable: a token that cannot be read, is too short, or a
     *                                  file every user may read; {@code --no-auth} beside a token
     */
    Access access() throws IOException {
        String operator = token(tokenFile, TOKEN_ENV, "the dashboard token");
        String viewer = token(viewerTokenFile, VIEWER_TOKEN_ENV, "the dashboard viewer's token");
        if (noAuth) {
            if (operator != null || viewer != null) {
                // which one wins would be a guess, and the wrong guess opens the dashboard to everyone
                throw new IllegalArgumentException("--no-auth and a dashboard token (" + String.join(", ",
                        sources(operator, viewer)) + ") together: drop --no-auth to require the token, or unset the "
                        + "token to serve with no authentication on localhost");
            }
            return Access.open();
        }
        if (operator == null && viewer == null) {
            return null;
        }
        try {
            return Access.tokens(user, operator, viewer);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(String.join(", ", sources(operator, viewer)) + ": " + e.getMessage(),
                    e);
        }
    }

    /** The names the dashboard answers to: loopback, IP addresses, {@code --dashboard-allowed-hosts} and these. */
    AllowedHosts allowedHosts(List<String> more) {
        List<String> names = new java.util.ArrayList<>(allowedHosts == null ? List.of() : allowedHosts);
        names.addAll(more);
        try {
            return AllowedHosts.of(names.stream().filter(n -> !n.isBlank()).toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dashboard-allowed-hosts: " + e.getMessage(), e);
        }
    }

    private List<String> sources(String operator, String viewer) {
        List<String> out = new java.util.ArrayList<>();
        if (operator != null) {
            out.add(tokenFile != null ? "--dashboard-token-file " + tokenFile : "$" + TOKEN_ENV);
        }
        if (viewer != null) {
            out.add(viewerTokenFile != null ? "--dashboard-viewer-token-file " + viewerTokenFile
                    : "$" + VIEWER_TOKEN_ENV);
        }
        return out;
    }

    /** A token from its file (which must then hold one) or its variable; null when neither is set. */
    private static String token(Path file, String env, String what) {
        if (file != null) {
            // named on purpose: a file that is missing, empty, unreadable or open to all is an error, not "no dashboard"
            return CommandFiles.readSecret(file, what, LoggerFactory.getLogger(DashboardOptions.class));
        }
        String value = System.getenv(env);
        return value == null || value.isBlank() ? null : value;
    }
}
