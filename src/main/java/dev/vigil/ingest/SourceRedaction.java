package dev.vigil.ingest;

import java.util.regex.Pattern;

/**
 * Hides the credentials of camera URLs ({@code rtsp://user:password@host/...} becomes {@code rtsp://***@host/...})
 * wherever a source is logged, published or put into an error message: logs and the camera-status topic are read by
 * far more people than may log in to a camera.
 */
public final class SourceRedaction {
    /**
     * A URL's scheme and userinfo. The userinfo ends at the last {@code @} before the path, query or fragment, as
     * FFmpeg splits a URL, so a password with a raw {@code @} in it is hidden whole.
     */
    private static final Pattern USERINFO = Pattern.compile("\\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\\s]+@");

    private SourceRedaction() {
    }

    /**
     * The text with the userinfo of every URL in it replaced by {@code ***}: a source alone, or a message (a
     * decoder's error names the URL it failed to open). Null stays null.
     */
    public static String redact(String text) {
        return text == null ? null : USERINFO.matcher(text).replaceAll("$1***@");
    }
}
