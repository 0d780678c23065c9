package dev.vigil.stream;

/**
 * One piece of a model file on the models topic. Models (65 MB to 2 GB) are far over Kafka's record size limit, so
 * a model travels as chunks that are reassembled and verified before use ({@link ModelAssembler}).
 *
 * @param camera     the camera the model is for
 * @param version    the model's version: its publication time in epoch milliseconds; newer wins
 * @param index      0-based chunk index
 * @param count      chunks in this version
 * @param chunkBytes the size of every chunk but the last
 * @param totalBytes the model file's size
 * @param sha256     the whole model file's sha256, hex
 * @param data       this chunk's bytes
 */
public record ModelChunk(String camera, long version, int index, int count, int chunkBytes, long totalBytes,
                         String sha256, byte[] data) {
    /** The largest model accepted: d = 550 on resnet50v2 at 224 x 224 is about 2 GB; hostile headers claim more. */
    public static final long MAX_TOTAL_BYTES = 16L << 30;
    /** A chunk is one record: at most the models topic's 8 MiB. */
    public static final int MAX_CHUNK_BYTES = 8 << 20;
    /** Chunks of a multi-chunk model are at least this large, so that a version's chunk count stays small. */
    public static final int MIN_CHUNK_BYTES = 4 << 10;

    /**
     * What is wrong with this chunk as part of the version described by the other arguments (taken from any chunk
     * of it), or null when it fits: a contradicting header, an index out of range, or the wrong number of bytes.
     */
    public String problemAgainst(int count, int chunkBytes, long totalBytes, String sha256) {
        if (this.count != count || this.chunkBytes != chunkBytes || this.totalBytes != totalBytes
                || !this.sha256.equalsIgnoreCase(sha256)) {
            return "its header disagrees with the version's other chunks";
        }
        if (totalBytes < 0 || totalBytes > MAX_TOTAL_BYTES) {
            return "a model of " + totalBytes + " bytes is outside 0.." + MAX_TOTAL_BYTES;
        }
        if (chunkBytes > MAX_CHUNK_BYTES || count > 1 && chunkBytes < MIN_CHUNK_BYTES) {
            return "chunks of " + chunkBytes + " bytes are outside " + MIN_CHUNK_BYTES + ".." + MAX_CHUNK_BYTES;
        }
        if (count < 1 || chunkBytes < 1 || (long) (count - 1) * chunkBytes >= totalBytes && totalBytes > 0
                || (long) count * chunkBytes < totalBytes) {
            return count + " chunks of " + chunkBytes + " bytes cannot hold " + totalBytes + " bytes";
        }
        if (index < 0 || index >= count) {
            return "index " + index + " outside 0.." + (count - 1);
        }
        long expected = Math.min(chunkBytes, totalBytes - (long) index * chunkBytes);
        if (data.length != expected) {
            return "it holds " + data.length + " bytes, expected " + expected;
        }
        return null;
    }

    /** As bytes for a state store: the header fields, then the data. */
    public byte[] serialize() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(data.length + 128);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeUTF(camera);
            out.writeLong(version);
            out.writeInt(index);
            out.writeInt(count);
            out.writeInt(chunkBytes);
            out.writeLong(totalBytes);
            out.writeUTF(sha256);
            out.writeInt(data.length);
            out.write(data);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static ModelChunk deserialize(byte[] value) {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(value))) {
            return new ModelChunk(in.readUTF(), in.readLong(), in.readInt(), in.readInt(), in.readInt(),
                    in.readLong(), in.readUTF(), in.readNBytes(in.readInt()));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("stored model chunk is damaged: " + e.getMessage(), e);
        }
    }
}
