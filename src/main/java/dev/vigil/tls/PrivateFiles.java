package dev.vigil.tls;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files that hold keys and passwords: readable and writable by their owner alone from the moment they exist (the
 * permissions are set when the file is created, not after it is written), in directories only the owner can enter.
 */
public final class PrivateFiles {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {
    }

    /** Creates the directory (and its parents) if missing and makes it owner-only (rwx------). */
    public static Path directory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (POSIX) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        return dir;
    }

    /** Writes {@code content} to a new or replaced file that only its owner can read (rw-------). */
    public static void write(Path file, byte[] content) throws IOException {
        // replaced, not overwritten: an existing file may have looser permissions that an overwrite would keep
        Files.deleteIfExists(file);
        if (POSIX) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.write(file, content, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    }
}
