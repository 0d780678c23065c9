package dev.vigil.media;

import java.io.IOException;

/** An image or video that could not be read or written; the message names the source and what failed. */
public class MediaException extends IOException {
    public MediaException(String message) {
        super(message);
    }

    public MediaException(String message, Throwable cause) {
        super(message, cause);
    }
}
