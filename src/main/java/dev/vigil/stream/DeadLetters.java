package dev.vigil.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;


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

    /** What was refused. */
    public enum Kind {
        FRAME("frame"), MODEL_CHUNK("model-chunk"), MODEL("model");

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

    public static String header(Headers headers, String name) {
        return TextHeaders.get(headers, name);
    }

}
