package dev.vigil.stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Model chunks as records of {@link Topics#MODELS} (docs/topics.md): key {@code <camera>#<index>} (one key per
 * chunk, so compaction keeps the newest version of each), value the chunk's bytes, and the rest in headers that
 * any Kafka client can print. Every chunk goes to the camera's partition, the one its frames go to.
 */
public final class ModelRecords {
    static final String CAMERA = "vigil.camera";
    static final String VERSION = "vigil.model.version";
    static final String INDEX = "vigil.chunk.index";
    static final String COUNT = "vigil.chunk.count";
    static final String CHUNK_BYTES = "vigil.chunk.bytes";
    static final String TOTAL_BYTES = "vigil.model.bytes";
    static final String SHA256 = "vigil.model.sha256";

    private ModelRecords() {
    }

    /** The partition of a camera's records: Kafka's default partitioner applied to the camera id. */
    public static int partitionFor(String camera, int partitions) {
        return Utils.toPositive(Utils.murmur2(camera.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    public static ProducerRecord<String, byte[]> toRecord(ModelChunk chunk, int partitions) {
        RecordHeaders headers = new RecordHeaders();
        TextHeaders.add(headers, CAMERA, chunk.camera());
        TextHeaders.add(headers, VERSION, Long.toString(chunk.version()));
        TextHeaders.add(headers, INDEX, Integer.toString(chunk.index()));
        TextHeaders.add(headers, COUNT, Integer.toString(chunk.count()));
        TextHeaders.add(headers, CHUNK_BYTES, Integer.toString(chunk.chunkBytes()));
        TextHeaders.add(headers, TOTAL_BYTES, Long.toString(chunk.totalBytes()));
        TextHeaders.add(headers, SHA256, chunk.sha256());
        return new ProducerRecord<>(Topics.MODELS.name(), partitionFor(chunk.camera(), partitions), null,
                chunk.camera() + "#" + chunk.index(), chunk.data(), headers);
    }

    /** @throws IllegalArgumentException naming the missing or malformed header */
    public static ModelChunk fromRecord(ConsumerRecord<String, byte[]> record) {
        return fromParts(record.key(), record.value(), record.headers());
    }

    /** As {@link #fromRecord}, from a record's parts (Kafka Streams' processor API). */
    public static ModelChunk fromParts(String key, byte[] value, Headers headers) {
        if (value == null) {
            throw new IllegalArgumentException("model record " + key + " is a tombstone");
        }
        try {
            return new ModelChunk(TextHeaders.required(headers, CAMERA, "model record " + key), Long.parseLong(TextHeaders.required(headers, VERSION, "model record " + key)),
                    Integer.parseInt(TextHeaders.required(headers, INDEX, "model record " + key)), Integer.parseInt(TextHeaders.required(headers, COUNT, "model record " + key)),
                    Integer.parseInt(TextHeaders.required(headers, CHUNK_BYTES, "model record " + key)),
                    Long.parseLong(TextHeaders.required(headers, TOTAL_BYTES, "model record " + key)), TextHeaders.required(headers, SHA256, "model record " + key), value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model record " + key + " has a malformed header: "
                    + e.getMessage(), e);
        }
    }


}
