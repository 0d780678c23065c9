package dev.vigil.topology;

import dev.vigil.files.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which frames of one task were being scored when this instance died, and how often: the memory that lets a restart
 * skip a poison frame (one that kills the process each time it is scored) instead of looping on it.
 *
 * <p>A line is appended when a frame is taken ({@code + offset}) and when its result is emitted ({@code - offset});
 * a clean close appends {@code c}. On open, every frame taken and neither finished nor closed over counts one death;
 * the counts are carried in {@code d offset n} lines and forgotten once the frame finishes. The file lives beside
 * the state stores, not inside the task's directory, which Kafka Streams wipes when it restores a task after a
 * crash. Lines are written without fsync: they survive the process dying (an {@code Error}, {@code kill -9}, a
 * native crash), which is what they are for, though not the machine. A failure to write is logged and costs only
 * this protection.
 */
final class InFlightJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InFlightJournal.class);
    /** Rewritten once appends reach this size, keeping only frames in flight and their counts. */
    private static final long COMPACT_BYTES = 1 << 20;
    /** Death counts kept at most (the newest offsets): a bound on what hostile frames can make it hold. */
    private static final int MAX_COUNTS = 4096;

    private final Path file;
    /** by offset, so that the oldest are dropped first when there are too many */
    private final TreeMap<Long, Integer> deaths = new TreeMap<>();
    private final Set<Long> open = new LinkedHashSet<>();
    private FileChannel out;
    private long written;
    private boolean failed;

    private InFlightJournal(Path file) {
        this.file = file;
    }

    /** Opens (or creates) a task's journal, counting a death for every frame that was in flight when it ended. */
    static InFlightJournal open(Path file) {
        InFlightJournal j = new InFlightJournal(file);
        try {
            PrivateFiles.createDirectories(file.getParent());
            if (Files.exists(file)) {
                j.read(Files.readAllLines(file, StandardCharsets.UTF_8));
            }
            j.compact();
        } catch (IOException | RuntimeException e) {
            j.fail(e);
        }
        return j;
    }

    private void read(List<String> lines) {
        for (String line : lines) {
            String[] parts = line.trim().split(" ");
            try {
                switch (parts[0]) {
                    case "d" -> deaths.put(Long.parseLong(parts[1]), Integer.parseInt(parts[2]));
                    case "+" -> open.add(Long.parseLong(parts[1]));
                    case "-" -> {
                        long offset = Long.parseLong(parts[1]);
                        open.remove(offset);
                        deaths.remove(offset);
                    }
                    case "c" -> open.clear();
                    default -> {
                        // a line cut short by the process dying mid-write: nothing to learn from it
                    }
                }
            } catch (RuntimeException e) {
                // as above
            }
        }
        for (long offset : open) {
            deaths.merge(offset, 1, Integer::sum);
        }
        open.clear();
        while (deaths.size() > MAX_COUNTS) {
            deaths.pollFirstEntry();
        }
    }

    /** Times the frame at this offset was in flight when the instance died. */
    int deaths(long offset) {
        return deaths.getOrDefault(offset, 0);
    }

    /** The frame at this offset is being scored from now on. */
    void taken(long offset) {
        open.add(offset);
        append("+ " + offset + "\n");
    }

    /** The frame's result was emitted (or it was sent to dead letters): it did not kill the instance. */
    void finished(long offset) {
        open.remove(offset);
        deaths.remove(offset);
        append("- " + offset + "\n");
    }

    /** The frames in flight now were not scored because the task closed, not because it died. */
    void closedCleanly() {
        open.clear();
        append("c\n");
    }

    private void append(String line) {
        if (failed) {
            return;
        }
        try {
            written += out.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)));
            if (written > COMPACT_BYTES) {
                compact();
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    /** Rewrites the file with the counts and the frames in flight, atomically. */
    private void compact() throws IOException {
        StringBuilder text = new StringBuilder();
        deaths.forEach((offset, n) -> text.append("d ").append(offset).append(' ').append(n).append('\n'));
        open.forEach(offset -> text.append("+ ").append(offset).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        PrivateFiles.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (out != null) {
            out.close();
        }
        out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        written = 0;
    }

    private void fail(Exception e) {
        if (!failed) {
            failed = true;
            LOG.error("cannot keep the in-flight journal {}: a frame that kills this instance may be scored again "
                    + "after each restart: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // nothing more will be written
            }
        }
    }
}
