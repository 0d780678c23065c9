package dev.vigil.stream;

import dev.vigil.untrusted.CameraId;
import dev.vigil.untrusted.LogText;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Model chunks as records of {@link Topics#MODELS} (docs/topics.md): key {@code <camera>#<version>#<index>} (one key
 * per chunk of each version, so that compaction keeps older versions for a rollback until {@link ModelPublisher}
 * tombstones them), value the chunk's bytes, and the rest in headers that any Kafka client can print. Beside them,
 * activation records ({@code <camera>#activate}) name the version a camera is to be scored with. Every record goes
 * to the camera's partition, the one its frames go to.
 */
public final class ModelRecords {
    static final String CAMERA = "vigil.camera";
    static final String VERSION = "vigil.model.version";
    static final String INDEX = "vigil.chunk.index";
    static final String COUNT = "vigil.chunk.count";
    static final String CHUNK_BYTES = "vigil.chunk.bytes";
    static final String TOTAL_BYTES = "vigil.model.bytes";
    static final String SHA256 = "vigil.model.sha256";
    /** present on control records only: what the record asks for ({@code activate}) */
    static final String CONTROL = "vigil.control";
    public static final String ACTIVATE = "activate";
    public static final String SHADOW = "shadow";

    /**
     * A control record: {@link #ACTIVATE}, score a camera with one of its stored versions; {@link #SHADOW}, score
     * it with a candidate version as well, beside the active one, without letting the candidate raise alerts (version
     * 0: stop shadowing). A shadow record written before a version's chunks keeps that version from becoming active
     * when it is complete.
     */
    public record Control(String camera, String action, long version) {
        public Control {
            if (!action.equals(ACTIVATE) && !action.equals(SHADOW)) {
                throw new IllegalArgumentException("model control record asks for '" + action
                        + "', which this Vigil does not know (activate, shadow)");
            }
        }

        public static Control activate(String camera, long version) {
            return new Control(camera, ACTIVATE, version);
        }

        public static Control shadow(String camera, long version) {
            return new Control(camera, SHADOW, version);
        }

        public boolean shadow() {
            return action.equals(SHADOW);
        }
    }

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
                key(chunk.camera(), chunk.version(), chunk.index()), chunk.data(), headers);
    }

    /** A chunk's key: several versions of a camera's model coexist on the compacted topic. */
    public static String key(String camera, long version, int index) {
        return camera + "#" + version + "#" + index;
    }

    /** Removes one chunk's record when compaction runs (a version past the retention). */
    public static ProducerRecord<String, byte[]> tombstone(String camera, String key, int partitions) {
        return new ProducerRecord<>(Topics.MODELS.name(), partitionFor(camera, partitions), key, null);
    }

    /** A control record: key {@code <camera>#<action>}, so compaction keeps the latest of each. */
    public static ProducerRecord<String, byte[]> toRecord(Control control, long at, int partitions) {
        RecordHeaders headers = new RecordHeaders();
        TextHeaders.add(headers, CONTROL, control.action());
        TextHeaders.add(headers, CAMERA, control.camera());
        TextHeaders.add(headers, VERSION, Long.toString(control.version()));
        String json = "{\"camera\": \"" + control.camera().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\", \"" + control.action() + "\": " + control.version() + ", \"at\": " + at + "}";
        return new ProducerRecord<>(Topics.MODELS.name(), partitionFor(control.camera(), partitions), at,
                control.camera() + "#" + control.action(), json.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** Whether a record of the models topic is a control record rather than a chunk. */
    public static boolean isControl(Headers headers) {
        return TextHeaders.get(headers, CONTROL) != null;
    }

    /** @throws IllegalArgumentException naming the record and what is wrong with it */
    public static Control controlFromParts(String key, Headers headers) {
        String what = "model control record " + LogText.quote(key);
        String control = TextHeaders.required(headers, CONTROL, what);
        if (!control.equals(ACTIVATE) && !control.equals(SHADOW)) {
            throw new IllegalArgumentException(what + " asks for " + LogText.quote(control)
                    + ", which this Vigil does not know");
        }
        try {
            return new Control(CameraId.require(TextHeaders.required(headers, CAMERA, what)), control,
                    Long.parseLong(TextHeaders.required(headers, VERSION, what)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " has a malformed version: " + e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException naming the missing or malformed header */
    public static ModelChunk fromRecord(ConsumerRecord<String, byte[]> record) {
        return fromParts(record.key(), record.value(), record.headers());
    }

    /** As {@link #fromRecord}, from a record's parts (Kafka Streams' processor API). */
    public static ModelChunk fromParts(String key, byte[] value, Headers headers) {
        String what = "model record " + LogText.quote(key);
        if (value == null) {
            throw new IllegalArgumentException(what + " is a tombstone");
        }
        try {
            return new ModelChunk(CameraId.require(TextHeaders.required(headers, CAMERA, what)), Long.parseLong(TextHeaders.required(headers, VERSION, what)),
                    Integer.parseInt(TextHeaders.required(headers, INDEX, what)), Integer.parseInt(TextHeaders.required(headers, COUNT, what)),
                    Integer.parseInt(TextHeaders.required(headers, CHUNK_BYTES, what)),
                    Long.parseLong(TextHeaders.required(headers, TOTAL_BYTES, what)), TextHeaders.required(headers, SHA256, what), value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " has a malformed header: " + LogText.escape(e.getMessage()),
                    e);
        }
    }


}
