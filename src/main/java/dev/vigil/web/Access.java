package dev.vigil.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Who may see the dashboard and its API: holders of the token (as {@code Authorization: Bearer <token>}, as the
 * password of HTTP basic auth for {@code user}, or in the cookie a browser gets by opening {@code /?token=<token>}
 * once), or everyone when opened explicitly for local use. The token never appears in logs or pages.
 */
public final class Access {
    static final String COOKIE = "vigil_token";

    private final String user;
    private final byte[] token;

    private Access(String user, byte[] token) {
        this.user = user;
        this.token = token;
    }

    /** @throws IllegalArgumentException when the token is blank or too short to resist guessing */
    public static Access token(String user, String token) {
        if (token == null || token.strip().length() < 12) {
            throw new IllegalArgumentException("the dashboard token must be at least 12 characters (got "
                    + (token == null ? "none" : token.strip().length()) + ")");
        }
        return new Access(user, token.strip().getBytes(StandardCharsets.UTF_8));
    }

    /** No authentication: for a dashboard only its own user can reach (the demo, a laptop). */
    public static Access open() {
        return new Access(null, null);
    }

    public boolean isOpen() {
        return token == null;
    }

    /** Whether a request with these credentials may pass; any of them may be null. */
    boolean allows(String authorization, String cookie, String queryToken) {
        if (token == null) {
            return true;
        }
        if (authorization != null) {
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7) && matches(authorization.substring(7).strip())) {
                return true;
            }
            if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                String pair;
                try {
                    pair = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
                            StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return false;
                }
                int colon = pair.indexOf(':');
                if (colon > 0 && pair.substring(0, colon).equals(user) && matches(pair.substring(colon + 1))) {
                    return true;
                }
            }
        }
        return matches(cookie) || matches(queryToken);
    }

    boolean matches(String candidate) {
        // constant time: the comparison must not tell how much of a guess was right
        return candidate != null && MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
    }

    String user() {
        return user;
    }

    @Override
    public String toString() {
        return token == null ? "open (no authentication)" : "token (basic auth user " + user + ")";
    }
}
