package dev.vigil.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The files a command writes or reads besides its data, checked before it starts work: a fit of minutes should not
 * end in "cannot write", and a missing token file should not be reported as a bare path (what Java's exceptions
 * say). Every message names the file and the reason.
 */
final class CommandFiles {
    private CommandFiles() {
    }

    /**
     * Checks that {@code file} can be written (created or replaced): it is not a folder, and its folder is, or can
     * be created in one that is, writable. Writes and deletes a probe file there: permission bits alone say nothing
     * to root, nor about a read-only file system.
     *
     * @param what what the command writes there, for the message ("the model")
     * @throws IllegalArgumentException "cannot write {@code what} to {@code file}: ..." with the reason
     */
    static void requireWritableFile(Path file, String what) {
        String problem = Files.isDirectory(file) ? "it is a folder" : folderProblem(file.toAbsolutePath().getParent());
        if (problem == null && Files.exists(file) && !Files.isWritable(file)) {
            problem = "it is not writable";
        }
        if (problem != null) {
            throw new IllegalArgumentException("cannot write " + what + " to " + file + ": " + problem);
        }
    }

    /**
     * Checks that files can be written in {@code folder}: it is a writable folder, or can be created in one.
     *
     * @throws IllegalArgumentException "cannot write {@code what} to {@code folder}: ..." with the reason
     */
    static void requireWritableFolder(Path folder, String what) {
        String problem = folderProblem(folder.toAbsolutePath());
        if (problem != null) {
            throw new IllegalArgumentException("cannot write " + what + " to " + folder + ": " + problem);
        }
    }

    /**
     * The text of a file that must hold something (a secret): it exists, is a readable file, and is not blank.
     *
     * @throws IllegalArgumentException "cannot read {@code what} from {@code file}: ..." with the reason
     */
    static String readRequired(Path file, String what) {
        String problem = null;
        String text = null;
        if (!Files.exists(file)) {
            problem = "it does not exist";
        } else if (Files.isDirectory(file)) {
            problem = "it is a folder";
        } else {
            try {
                text = Files.readString(file);
                if (text.isBlank()) {
                    problem = "it is empty";
                }
            } catch (IOException e) {
                problem = reason(e);
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("cannot read " + what + " from " + file + ": " + problem);
        }
        return text;
    }

    /**
     * A secret's text, as {@link #readRequired}, from a file that other users of the machine cannot read: one they
     * can is refused (its secret is no longer one); one the file's group can read is used, with a warning, since
     * Kubernetes gives a secret's files group read access for the pod's {@code fsGroup} whatever its
     * {@code defaultMode}.
     *
     * @throws IllegalArgumentException "cannot use {@code what} from {@code file}: ..." with the mode and the fix
     */
    static String readSecret(Path file, String what, org.slf4j.Logger log) {
        String text = readRequired(file, what);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return text;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " from " + file + ": " + reason(e));
        }
        String shown = java.nio.file.attribute.PosixFilePermissions.toString(mode);
        if (mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
            throw new IllegalArgumentException("cannot use " + what + " from " + file + ": every user of this machine "
                    + "may read it (" + shown + "); chmod 600 it (in Kubernetes, mount the secret with defaultMode: "
                    + "0400)");
        }
        if (mode.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)) {
            log.warn("{} in {} may be read by the file's group ({}): chmod 600 it unless that group is this service's "
                    + "own (a Kubernetes fsGroup)", what, file, shown);
        }
        return text;
    }

    /** Why files cannot be written in {@code folder} (absolute), or null when they can. */
    private static String folderProblem(Path folder) {
        if (folder == null) {
            return null;
        }
        Path existing = folder;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return "no part of " + folder + " exists";
        }
        if (!Files.isDirectory(existing)) {
            return existing + " is a file, not a folder";
        }
        String missing = existing.equals(folder) ? "" : "folder " + folder + " does not exist and cannot be created: ";
        try {
            Files.delete(Files.createTempFile(existing, ".vigil-write-check-", ".tmp"));
            return null;
        } catch (IOException e) {
            return missing + "folder " + existing + " is not writable (" + reason(e) + ")";
        }
    }

    /** What went wrong, in words: Java's file exceptions' messages are often the path alone. */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "it does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String reason = e instanceof java.nio.file.FileSystemException f ? f.getReason() : e.getMessage();
        return reason != null ? reason : e.getClass().getSimpleName();
    }
}
