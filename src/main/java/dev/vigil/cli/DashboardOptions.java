package dev.vigil.cli;

import dev.vigil.web.Access;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Who may open the dashboard: a token from {@code $VIGIL_DASHBOARD_TOKEN} or a file (never from the command line,
 * where every user of the machine could read it in the process list), or no authentication when asked for by
 * name. Without either, the dashboard and its API stay off; the health checks and metrics are served regardless.
 */
public class DashboardOptions {
    static final String TOKEN_ENV = "VIGIL_DASHBOARD_TOKEN";

    @Option(names = "--dashboard-token-file", paramLabel = "<file>",
            description = "File holding the dashboard's token (default: $" + TOKEN_ENV + "); browsers open "
                    + "/?token=<token> once, API clients send it as a Bearer token or as the basic-auth password")
    Path tokenFile;

    @Option(names = "--dashboard-user", paramLabel = "<name>", defaultValue = "vigil",
            description = "User name for basic auth with the token as password (default: ${DEFAULT-VALUE})")
    String user;

    @Option(names = "--no-auth", description = "Serve the dashboard and its API to anyone who can reach the port: "
            + "for local use only")
    boolean noAuth;

    /** The dashboard's access, or null when none was configured (no dashboard). */
    Access access() throws IOException {
        if (noAuth) {
            return Access.open();
        }
        String token;
        if (tokenFile != null) {
            // named on purpose: a file that is missing, empty or unreadable is an error, not "no dashboard"
            token = CommandFiles.readRequired(tokenFile, "the dashboard token");
        } else {
            token = System.getenv(TOKEN_ENV);
        }
        if (token == null || token.isBlank()) {
            return null;
        }
        try {
            return Access.token(user, token);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((tokenFile != null ? "--dashboard-token-file " + tokenFile
                    : "$" + TOKEN_ENV) + ": " + e.getMessage(), e);
        }
    }
}
