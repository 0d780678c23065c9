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
}
