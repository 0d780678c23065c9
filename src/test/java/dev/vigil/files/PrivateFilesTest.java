package dev.vigil.files;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What each helper creates is owner-only, checked on the modes themselves: a wide-open starting point (0755 folders,
 * 0644 files, as the usual umask 022 makes them) shows that the modes are set, not inherited from the umask.
 */
class PrivateFilesTest {
    @TempDir
    Path dir;

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @BeforeEach
    void posixOnly() {
        assumeTrue(PrivateFiles.posix(dir), "a file system without POSIX permissions");
    }

    @Test
    void foldersCreatedAreOwnerOnlyWhileExistingOnesAreLeftAlone() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivateFiles.createDirectories(dir.resolve("a/b/c"));
        assertThat(mode(dir)).isEqualTo("rwxr-xr-x");
        assertThat(mode(dir.resolve("a"))).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("a/b/c"))).isEqualTo("rwx------");
    }

    @Test
    void anOwnDirectoryIsClosedEvenWhenItExisted() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        PrivateFiles.ownDirectory(data);
        assertThat(mode(data)).isEqualTo("rwx------");
    }

    @Test
    void filesWrittenAreOwnerOnlyAndAReplacedOneIsClosedToo() throws Exception {
        Path old = Files.writeString(dir.resolve("report.json"), "{}");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-r--r--"));
        PrivateFiles.writeString(old, "{\"auroc\": 1}", StandardCharsets.UTF_8);
        assertThat(mode(old)).isEqualTo("rw-------");
        assertThat(Files.readString(old)).isEqualTo("{\"auroc\": 1}");

        try (OutputStream out = PrivateFiles.newOutputStream(dir.resolve("new.png"))) {
            out.write(1);
        }
        assertThat(mode(dir.resolve("new.png"))).isEqualTo("rw-------");
        try (FileChannel ch = PrivateFiles.newChannel(dir.resolve("model.part"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            assertThat(mode(dir.resolve("model.part"))).isEqualTo("rw-------");
        }
        PrivateFiles.writeAtomically(dir.resolve("journal"), new byte[]{'c'});
        assertThat(mode(dir.resolve("journal"))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain(".journal.tmp");
        }
    }
}
