package dev.vigil.web;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Who may see the dashboard and its API, and who may change things through it. Two roles, each with its own token:
 * a viewer sees cameras, scores and alerts; an operator also acknowledges alerts, confirms them as normal (which
 * refines the camera's model) and activates model versions. A
 * token is sent as {@code Authorization: Bearer <token>}, as the password of HTTP basic auth for {@code user}, or in
 * the cookie a browser gets by opening {@code /?token=<token>} once. Or everyone is an operator, when the dashboard
 * is opened explicitly for local use. Tokens never appear in logs or pages, and are compared in constant time.
 *
 * <p>Each role also has an anti-CSRF token ({@link #csrf(Role)}), which the page reads from {@code /api/session} and
 * sends back with every change: derived from the role's token, so that every instance behind a load balancer
 * accepts it, and useless to anyone who does not already hold the role.
 */
public final class Access {
    static final String COOKIE = "vigil_token";

    /** What a request may do. */
    public enum Role {
        /** Sees everything the dashboard shows. */
        VIEWER,
        /** Also acknowledges alerts, confirms them as normal and activates model versions. */
        OPERATOR;

        /** As the API and the page name it. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final String user;
    private final byte[] operator;
    private final byte[] viewer;
    /** The key of the anti-CSRF tokens when there is no token to derive them from: this process's alone. */
    private final byte[] openKey;

    private Access(String user, byte[] operator, byte[] viewer, byte[] openKey) {
        this.user = user;
        this.operator = operator;
        this.viewer = viewer;
        this.openKey = openKey;
    }

    /**
     * The operator's token alone: no viewers.
     *
     * @throws IllegalArgumentException when the token is blank or too short to resist guessing
     */
    public static Access token(String user, String token) {
        return tokens(user, token, null);
    }

    /**
     * An operator's token, a viewer's, or both.
     *
     * @param operatorToken null for none: a read-only dashboard
     * @param viewerToken   null for none
     * @throws IllegalArgumentException naming the role when a token is too short to resist guessing, when there is
     *                                  none, or when both are the same (a viewer would be an operator)
     */
    public static Access tokens(String user, String operatorToken, String viewerToken) {
        if (operatorToken == null && viewerToken == null) {
            throw new IllegalArgumentException("the dashboard needs an operator's or a viewer's token");
        }
        byte[] operator = checked("operator", operatorToken);
        byte[] viewer = checked("viewer", viewerToken);
        if (operator != null && viewer != null && MessageDigest.isEqual(operator, viewer)) {
            throw new IllegalArgumentException("the viewer's token is the operator's: a viewer could then do what an "
                    + "operator does; give each role its own");
        }
        return new Access(user, operator, viewer, null);
    }

    private static byte[] checked(String role, String token) {
        if (token == null) {
            return null;
        }
        if (token.strip().length() < 12) {
            throw new IllegalArgumentException("the dashboard " + role + "'s token must be at least 12 characters "
                    + "(got " + token.strip().length() + ")");
        }
        return token.strip().getBytes(StandardCharsets.UTF_8);
    }

    /** No authentication, everyone an operator: for a dashboard only its own user can reach (the demo, a laptop). */
    public static Access open() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new Access(null, null, null, key);
    }

    public boolean isOpen() {
        return openKey != null;
    }

    /**
     * What a request with these credentials may do, or null when it may not come in. Either may be null.
     */
    Role role(String authorization, String cookie) {
        if (isOpen()) {
            return Role.OPERATOR;
        }
        if (authorization != null) {
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                Role r = tokenRole(authorization.substring(7).strip());
                if (r != null) {
                    return r;
                }
            }
            if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                String pair;
                try {
                    pair = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
                            StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
                int colon = pair.indexOf(':');
                if (colon > 0 && pair.substring(0, colon).equals(user)) {
                    Role r = tokenRole(pair.substring(colon + 1));
                    if (r != null) {
                        return r;
                    }
                }
            }
        }
        return tokenRole(cookie);
    }

    /** The role whose token this is, or null; both tokens are compared whatever the first says. */
    Role tokenRole(String candidate) {
        if (candidate == null || isOpen()) {
            return null;
        }
        byte[] bytes = candidate.getBytes(StandardCharsets.UTF_8);
        // constant time, and both always: the comparison must not tell how much of a guess was right, nor which
        boolean isOperator = operator != null && MessageDigest.isEqual(operator, bytes);
        boolean isViewer = viewer != null && MessageDigest.isEqual(viewer, bytes);
        return isOperator ? Role.OPERATOR : isViewer ? Role.VIEWER : null;
    }

    /** The anti-CSRF token of a role: HMAC-SHA256 of a fixed label under the role's token (or this process's key). */
    String csrf(Role role) {
        byte[] key = isOpen() ? openKey : role == Role.OPERATOR ? operator : viewer;
        if (key == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(("vigil-csrf:" + role.word()).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** Whether {@code candidate} is the anti-CSRF token of {@code role}, compared in constant time. */
    boolean csrfMatches(Role role, String candidate) {
        String expected = csrf(role);
        return expected != null && candidate != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        if (isOpen()) {
            return "open (no authentication)";
        }
        String roles = operator != null && viewer != null ? "operator and viewer tokens"
                : operator != null ? "operator token" : "viewer token (read-only)";
        return roles + ", basic auth user " + user;
    }
}
