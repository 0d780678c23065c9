package dev.vigil.stream;

import dev.vigil.integrity.FileDigests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Splits a model file into {@link ModelChunk}s. */
public final class ModelChunks {
    /** Under Kafka's default 1 MiB record limit with room for the headers. */
    public static final int DEFAULT_CHUNK_BYTES = 1000 * 1000;

    private ModelChunks() {
    }

    /** Reads the file twice (digest, then chunks) so that no more than one chunk is in memory. */
    public static void split(Path file, String camera, long version, int chunkBytes, Consumer<ModelChunk> out)
            throws IOException {
        // what the scorer accepts (ModelChunk.problemAgainst): refused here rather than there
        if (chunkBytes < ModelChunk.MIN_CHUNK_BYTES || chunkBytes > ModelChunk.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size must be " + ModelChunk.MIN_CHUNK_BYTES + " to "
                    + ModelChunk.MAX_CHUNK_BYTES + " bytes, got " + chunkBytes);
        }
        long total = Files.size(file);
        if (total > ModelChunk.MAX_TOTAL_BYTES) {
            throw new IllegalArgumentException("model " + file + " is " + total + " bytes, more than the "
                    + ModelChunk.MAX_TOTAL_BYTES + " a scorer accepts");
        }
        String sha256 = FileDigests.sha256(file);
        int count = (int) Math.max(1, (total + chunkBytes - 1) / chunkBytes);
        try (InputStream in = Files.newInputStream(file)) {
            for (int i = 0; i < count; i++) {
                byte[] data = in.readNBytes((int) Math.min(chunkBytes, total - (long) i * chunkBytes));
                out.accept(new ModelChunk(camera, version, i, count, chunkBytes, total, sha256, data));
            }
        }
    }
}
