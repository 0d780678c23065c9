package dev.vigil.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Files and folders that only Vigil's own account may read: footage on the embedded broker, state stores, models,
 * snapshots, reports. Files are created 0600 and folders 0700 whatever the umask (the usual 022 would make them
 * readable by every user of the machine), set at creation so that no moment exists in which they are open to others,
 * and set again afterwards, since the umask may have taken bits away from the creation mode.
 *
 * <p>On a file system without POSIX permissions (Windows) files are created as usual and inherit their folder's
 * access rules: there is nothing portable to set.
 */
public final class PrivateFiles {
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");

    private PrivateFiles() {
    }

    /**
     * Creates {@code dir} and any missing parents, each one created here 0700; folders that already exist are left
     * as they are (they may be the user's own, such as the working directory).
     *
     * @return {@code dir}
     */
    public static Path createDirectories(Path dir) throws IOException {
        if (!posix(dir)) {
            return Files.createDirectories(dir);
        }
        Path absolute = dir.toAbsolutePath();
        List<Path> missing = new ArrayList<>();
        for (Path p = absolute; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.add(p);
        }
        for (int i = missing.size() - 1; i >= 0; i--) {
            Path p = missing.get(i);
            try {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(FOLDER));
                Files.setPosixFilePermissions(p, FOLDER);
            } catch (FileAlreadyExistsException e) {
                // another thread or process made it meanwhile; a file in its place fails below, as it should
                if (!Files.isDirectory(p)) {
                    throw e;
                }
            }
        }
        return dir;
    }

    /**
     * A folder wholly Vigil's (a broker's data, a state directory): created as {@link #createDirectories} does, and
     * made 0700 when it already exists, so that nothing below it can be reached by other users whatever the modes
     * of what others (Kafka, RocksDB) create inside it.
     *
     * @return {@code dir}
     */
    public static Path ownDirectory(Path dir) throws IOException {
        createDirectories(dir);
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, FOLDER);
        }
        return dir;
    }

    /**
     * Opens a file channel as {@link FileChannel#open(Path, OpenOption...)} does; a file it creates is 0600. An
     * existing file keeps its mode.
     */
    public static FileChannel newChannel(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> opts = new HashSet<>(Arrays.asList(options));
        boolean creates = opts.contains(StandardOpenOption.CREATE) || opts.contains(StandardOpenOption.CREATE_NEW);
        if (!creates || !posix(file)) {
            return FileChannel.open(file, opts);
        }
        boolean existed = !opts.contains(StandardOpenOption.CREATE_NEW) && Files.exists(file);
        FileChannel ch = FileChannel.open(file, opts, PosixFilePermissions.asFileAttribute(FILE));
        if (!existed) {
            try {
                Files.setPosixFilePermissions(file, FILE);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
        return ch;
    }

    /**
     * An output stream that creates or replaces {@code file}, made 0600 even when it existed with another mode (it
     * is being replaced with new content, which must not be readable by others).
     */
    public static OutputStream newOutputStream(Path file) throws IOException {
        FileChannel ch = newChannel(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        if (posix(file)) {
            try {
                Files.setPosixFilePermissions(file, FILE);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
        return Channels.newOutputStream(ch);
    }

    /** Writes {@code bytes} to {@code file}, created or replaced, 0600. */
    public static void write(Path file, byte[] bytes) throws IOException {
        try (OutputStream out = newOutputStream(file)) {
            out.write(bytes);
        }
    }

    /** Writes {@code text} to {@code file}, created or replaced, 0600. */
    public static void writeString(Path file, CharSequence text, Charset charset) throws IOException {
        write(file, text.toString().getBytes(charset));
    }

    /**
     * Writes {@code bytes} to a temporary file beside {@code target} (0600) and renames it into place atomically, so
     * the name only ever holds a complete file.
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            discardAfter(e, tmp);
            throw e;
        }
    }

    /**
     * Deletes the temporary file a failed write left, before the failure is rethrown; a failure to delete is added
     * to it, so that neither hides the other.
     */
    public static void discardAfter(Exception failure, Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    /** Whether {@code path}'s file system has POSIX permissions. */
    public static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
