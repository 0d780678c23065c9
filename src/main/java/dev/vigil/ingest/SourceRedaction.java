package dev.vigil.ingest;

import dev.vigil.secrets.Redaction;

/**
 * Hides the credentials of camera URLs ({@code rtsp://user:password@host/...} becomes {@code rtsp://***@host/...})
 * wherever a source is logged, published or put into an error message: logs and the camera-status topic are read by
 * far more people than may log in to a camera. The rule is {@link Redaction#urls}, shared with every other message
 * that may quote a configuration file.
 */
public final class SourceRedaction {
    private SourceRedaction() {
    }

    /**
     * The text with the userinfo of every URL in it replaced by {@code ***}: a source alone, or a message (a
     * decoder's error names the URL it failed to open). Null stays null.
     */
    public static String redact(String text) {
        return Redaction.urls(text);
    }
}
