package dev.vigil.padim;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file that cannot be used: damaged, from another Vigil, or fitted for another backbone/input. The message
 * names the file and the failed check; {@link #check()} lets callers (and tests) tell the cases apart without parsing
 * it.
 */
public final class ModelFileException extends IOException {
    /** The check that failed, in the order {@link ModelFile#read} performs them. */
    public enum Check {
        /** the first 8 bytes are not {@code VIGILPDM} ({@code VIGILPFT} for a partial fit) */
        MAGIC,
        /** a format version this Vigil cannot read */
        VERSION,
        /** the header bytes do not match their CRC32C */
        HEADER_CHECKSUM,
        /** the header is not valid JSON, lacks a field, or its fields contradict each other */
        HEADER,
        /** the file ends before the header or payload does */
        TRUNCATED,
        /** the payload bytes do not match their CRC32C */
        PAYLOAD_CHECKSUM,
        /** the motion block's bytes (format version 2) do not match their CRC32C */
        MOTION_PAYLOAD_CHECKSUM,
        /** the patch memory block's bytes (format version 3) do not match their CRC32C */
        MEMORY_PAYLOAD_CHECKSUM,
        /** the patch memory block holds a value that is not finite (written so, not damaged on the way) */
        MEMORY_VALUES,
        /** bytes follow the payload checksum */
        TRAILING_DATA,
        /** a valid model fitted for another backbone, preprocessing or input size */
        MISMATCH
    }

    private final Path file;
    private final Check check;

    public ModelFileException(Path file, Check check, String detail) {
        this(file, check, detail, null);
    }

    public ModelFileException(Path file, Check check, String detail, Throwable cause) {
        super("model file " + file + " " + detail, cause);
        this.file = file;
        this.check = check;
    }

    public Path file() {
        return file;
    }

    public Check check() {
        return check;
    }
}
