package dev.vigil.ingest;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A camera file ({@link CameraConfig}) that cannot be used. The message names the file and, for a problem inside it,
 * where ({@code cameras[2] (id gate-1)}, {@code defaults}) and the field at fault.
 */
public final class CameraConfigException extends IOException {
    private final Path file;

    /** A problem with the file as a whole: "camera file x.yaml does not exist". */
    CameraConfigException(Path file, String detail) {
        super("camera file " + file + " " + detail);
        this.file = file;
    }

    /** A problem at one place in the file: "camera file x.yaml, cameras[2] (id gate-1): fps must be ...". */
    CameraConfigException(Path file, String where, String detail) {
        super("camera file " + file + ", " + where + ": " + detail);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
