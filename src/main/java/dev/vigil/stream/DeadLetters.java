package dev.vigil.stream;

import dev.vigil.integrity.FileDigests;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;


/**
 * Records of {@link Topics#DEAD_LETTERS} (docs/topics.md): the input that could not be processed, unchanged (key,
 * value and headers, so it can be inspected or sent again), plus headers saying why and where it came from, in the
 * manner of Kafka Connect's dead-letter queues.
 */
public final class DeadLetters {
    public static final String REASON = "vigil.dlq.reason";
    public static final String KIND = "vigil.dlq.kind";
    public static final String TOPIC = "vigil.dlq.topic";
    public static final String PARTITION = "vigil.dlq.partition";
    public static final String OFFSET = "vigil.dlq.offset";
    public static final String AT = "vigil.dlq.at";
    /** Set when the payload was too large to keep: {@code sha256:<hex>;bytes=<n>} of the original value. */
    public static final String PAYLOAD = "vigil.dlq.payload";
    /** Set when the original key was too long to keep: {@code sha256:<hex>;chars=<n>} of it. */
    public static final String ORIGINAL_KEY = "vigil.dlq.original-key";
    /** Set when the original headers were too many or too large to keep: how many were dropped. */
    public static final String HEADERS_DROPPED = "vigil.dlq.headers-dropped";

    /**
     * The largest dead letter written: the topic's {@code max.message.bytes} (8 MiB, {@link Topics#DEAD_LETTERS})
     * less room for the record batch's framing. An input just under the frames topic's limit plus the reason headers
     * would not fit, and a dead letter that cannot be written stalls the stream thread that writes it.
     */
    public static final int MAX_RECORD_BYTES = (8 << 20) - (64 << 10);
    /** Keys longer than this (a camera id is at most 64 characters) are replaced by their digest. */
    public static final int MAX_KEY_CHARS = 256;
    /** The original headers are kept up to this many bytes in all. */
    public static final int MAX_ORIGINAL_HEADER_BYTES = 16 << 10;
    /** Longer reasons are cut: a reason quotes inputs, which are bounded by their own checks, but it is a header. */
    public static final int MAX_REASON_CHARS = 2000;

    /** A dead letter ready to write, within {@link #MAX_RECORD_BYTES} whatever the input was. */
    public record Letter(String key, byte[] value, Headers headers) {
    }

    /** What was refused. */
    public enum Kind {
        FRAME("frame"), MODEL_CHUNK("model-chunk"), MODEL("model"), FEEDBACK("feedback");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private DeadLetters() {
    }

    /** The original headers plus the dead-letter ones; {@code topic} null and offsets -1 when unknown. */
    public static Headers headers(Headers original, Kind kind, String reason, String topic, int partition,
                                  long offset) {
        RecordHeaders h = new RecordHeaders();
        if (original != null) {
            for (Header header : original) {
                if (!header.key().startsWith("vigil.dlq.")) {
                    h.add(header);
                }
            }
        }
        TextHeaders.add(h, KIND, kind.label());
        TextHeaders.add(h, REASON, reason);
        if (topic != null) {
            TextHeaders.add(h, TOPIC, topic);
            TextHeaders.add(h, PARTITION, Integer.toString(partition));
            TextHeaders.add(h, OFFSET, Long.toString(offset));
        }
        TextHeaders.add(h, AT, Long.toString(System.currentTimeMillis()));
        return h;
    }

    /**
     * The dead letter of an input: its key, value and headers kept when they fit, otherwise replaced by what
     * identifies them (digest and size; the source topic, partition and offset say where the original still is, for
     * as long as that topic keeps it).
     */
    public static Letter letter(String key, byte[] value, Headers original, Kind kind, String reason, String topic,
                                int partition, long offset) {
        Headers kept = new RecordHeaders();
        int headerBytes = 0;
        int dropped = 0;
        if (original != null) {
            for (Header header : original) {
                int size = header.key().length() + (header.value() == null ? 0 : header.value().length);
                if (header.key().startsWith("vigil.dlq.") || headerBytes + size > MAX_ORIGINAL_HEADER_BYTES) {
                    dropped += header.key().startsWith("vigil.dlq.") ? 0 : 1;
                    continue;
                }
                headerBytes += size;
                kept.add(header);
            }
        }
        String why = reason == null ? "no reason given" : reason;
        if (why.length() > MAX_REASON_CHARS) {
            why = why.substring(0, MAX_REASON_CHARS) + "...(" + why.length() + " chars)";
        }
        Headers h = headers(kept, kind, why, topic, partition, offset);
        if (dropped > 0) {
            TextHeaders.add(h, HEADERS_DROPPED, Integer.toString(dropped));
        }
        String letterKey = key;
        if (key != null && key.length() > MAX_KEY_CHARS) {
            TextHeaders.add(h, ORIGINAL_KEY, "sha256:" + FileDigests.sha256(key.getBytes(StandardCharsets.UTF_8))
                    + ";chars=" + key.length());
            letterKey = key.substring(0, 64) + "...";
        }
        long size = (letterKey == null ? 0 : 4L * letterKey.length()) + (value == null ? 0 : value.length);
        for (Header header : h) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length) + 16;
        }
        byte[] letterValue = value;
        if (size > MAX_RECORD_BYTES) {
            String sha256 = FileDigests.sha256(value);
            TextHeaders.add(h, PAYLOAD, "sha256:" + sha256 + ";bytes=" + value.length);
            letterValue = ("{\"dropped\":\"payload of " + value.length + " bytes too large for "
                    + Topics.DEAD_LETTERS.name() + "\",\"bytes\":" + value.length + ",\"sha256\":\"" + sha256
                    + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        return new Letter(letterKey, letterValue, h);
    }

    public static String header(Headers headers, String name) {
        return TextHeaders.get(headers, name);
    }

}
