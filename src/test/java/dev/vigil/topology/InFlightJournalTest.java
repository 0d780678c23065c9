package dev.vigil.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The journal counts a death for each frame in flight when the process ended without closing the task. */
class InFlightJournalTest {
    @TempDir
    Path dir;

    @Test
    void framesInFlightAtADeathAreCountedAndForgottenOnceFinished() throws Exception {
        Path file = dir.resolve("journal/0_1.journal");
        try (InFlightJournal j = InFlightJournal.open(file)) {
            j.taken(10);
            j.taken(11);
            j.finished(10);
            // the process dies here: no close, no clean mark
        }
        try (InFlightJournal j = InFlightJournal.open(file)) {
            assertThat(j.deaths(10)).isZero();
            assertThat(j.deaths(11)).isEqualTo(1);
            j.taken(11);
        }
        try (InFlightJournal j = InFlightJournal.open(file)) {
            assertThat(j.deaths(11)).isEqualTo(2);
            // scored at last: not poison after all
            j.taken(11);
            j.finished(11);
        }
        try (InFlightJournal j = InFlightJournal.open(file)) {
            assertThat(j.deaths(11)).isZero();
        }
    }

    @Test
    void theJournalAndItsFolderAreOwnerOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vigil.files.PrivateFiles.posix(dir));
        Path file = dir.resolve("journal/0_1.journal");
        try (InFlightJournal j = InFlightJournal.open(file)) {
            j.taken(10);
        }
        assertThat(mode(file.getParent())).isEqualTo("rwx------");
        assertThat(mode(file)).isEqualTo("rw-------");
    }

    private static String mode(Path p) throws Exception {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aCleanCloseCountsNothing() throws Exception {
        Path file = dir.resolve("0_2.journal");
        try (InFlightJournal j = InFlightJournal.open(file)) {
            j.taken(5);
            j.closedCleanly();
        }
        try (InFlightJournal j = InFlightJournal.open(file)) {
            assertThat(j.deaths(5)).isZero();
        }
    }

    @Test
    void aLineCutShortAndGarbageAreIgnored() throws Exception {
        Path file = dir.resolve("0_3.journal");
        Files.writeString(file, "d 7 1\n+ 7\nnonsense\n+ 9\n- 9\n+ 1");
        try (InFlightJournal j = InFlightJournal.open(file)) {
            assertThat(j.deaths(7)).isEqualTo(2);
            assertThat(j.deaths(9)).isZero();
            assertThat(j.deaths(1)).isEqualTo(1);
        }
    }

    @Test
    void theFileStaysSmallOverManyFrames() throws Exception {
        Path file = dir.resolve("0_4.journal");
        try (InFlightJournal j = InFlightJournal.open(file)) {
            for (long offset = 0; offset < 200_000; offset++) {
                j.taken(offset);
                j.finished(offset);
            }
        }
        assertThat(Files.size(file)).isLessThan(2L << 20);
    }
}
