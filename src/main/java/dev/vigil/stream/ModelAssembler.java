package dev.vigil.stream;

import dev.vigil.files.PrivateFiles;
import dev.vigil.integrity.FileDigests;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reassembles model chunks into model files, one camera at a time: chunks are written in place into a part file
 * (so a 2 GB model never sits in memory), and once all have arrived the file's sha256 is checked against the one
 * every chunk carries. Only a verified file is handed out; a newer version of a camera's model discards an
 * unfinished older one; chunks of older versions than the one being assembled are ignored.
 */
public final class ModelAssembler {
    /** A verified model file. */
    public record Assembled(String camera, long version, Path file) {
    }

    private record Pending(long version, int count, int chunkBytes, long totalBytes, String sha256, Path part,
                           BitSet received) {
    }

    private final Path directory;
    private final Map<String, Pending> pending = new HashMap<>();
    private final Map<String, Long> completed = new HashMap<>();

    public ModelAssembler(Path directory) throws IOException {
        this.directory = PrivateFiles.createDirectories(directory);
    }

    /**
     * @return the model file once its last chunk has arrived and it verified
     * @throws IOException naming the camera, the version and the check that failed, when a chunk contradicts its
     *                     siblings or the assembled file does not match its checksum; nothing is handed out then
     */
    public Optional<Assembled> accept(ModelChunk chunk) throws IOException {
        String camera = chunk.camera();
        Long done = completed.get(camera);
        if (done != null && chunk.version() <= done) {
            return Optional.empty();
        }
        Pending p = pending.get(camera);
        if (p != null && chunk.version() < p.version()) {
            return Optional.empty();
        }
        if (p == null || chunk.version() > p.version()) {
            if (p != null) {
                Files.deleteIfExists(p.part());
            }
            p = new Pending(chunk.version(), chunk.count(), chunk.chunkBytes(), chunk.totalBytes(), chunk.sha256(),
                    directory.resolve(safe(camera) + "-" + chunk.version() + ".part"), new BitSet(chunk.count()));
            pending.put(camera, p);
        }
        check(chunk, p);
        try (FileChannel channel = PrivateFiles.newChannel(p.part(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(chunk.data()), (long) chunk.index() * p.chunkBytes());
        }
        p.received().set(chunk.index());
        if (p.received().cardinality() < p.count()) {
            return Optional.empty();
        }
        pending.remove(camera);
        String actual = FileDigests.sha256(p.part());
        if (!actual.equalsIgnoreCase(p.sha256())) {
            Files.deleteIfExists(p.part());
            throw new IOException("model for camera " + camera + " version " + p.version()
                    + " refused: checksum mismatch after reassembly (sha256 " + actual + ", expected " + p.sha256() + ")");
        }
        Path file = directory.resolve(safe(camera) + "-" + p.version() + ".vgm");
        Files.move(p.part(), file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        completed.put(camera, p.version());
        return Optional.of(new Assembled(camera, p.version(), file));
    }

    private static void check(ModelChunk chunk, Pending p) throws IOException {
        String problem = chunk.problemAgainst(p.count(), p.chunkBytes(), p.totalBytes(), p.sha256());
        if (problem != null) {
            throw new IOException("model chunk " + chunk.index() + " for camera " + chunk.camera() + " version "
                    + chunk.version() + " refused: " + problem);
        }
    }

    /** A camera id as a file name part. */
    private static String safe(String camera) {
        return camera.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
