package dev.vigil.topology;

import dev.vigil.stream.DeadLetters;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a processor's refusals go: one bounded record on {@link ScoringTopology#DEAD_LETTER_SINK} per input
 * ({@link DeadLetters#letter}: it fits the topic whatever the input was), with the source topic, partition and offset
 * of the record being processed, a warning in the log and a count. Reasons quote outside values escaped already.
 */
final class DeadLetterSink {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSink.class);

    private final ProcessorContext<String, byte[]> ctx;
    private final ScoringStats stats;
    private final String defaultTopic;

    DeadLetterSink(ProcessorContext<String, byte[]> ctx, ScoringStats stats, String defaultTopic) {
        this.ctx = ctx;
        this.stats = stats;
        this.defaultTopic = defaultTopic;
    }

    void send(String key, byte[] value, long timestamp, Headers headers, DeadLetters.Kind kind, String reason) {
        var meta = ctx.recordMetadata();
        send(key, value, timestamp, headers, kind, reason, meta.map(m -> m.topic()).orElse(defaultTopic),
                meta.map(m -> m.partition()).orElse(-1), meta.map(m -> m.offset()).orElse(-1L));
    }

    /** As {@link #send(String, byte[], long, Headers, DeadLetters.Kind, String)} for an input taken earlier. */
    void send(String key, byte[] value, long timestamp, Headers headers, DeadLetters.Kind kind, String reason,
              String topic, int partition, long offset) {
        LOG.warn("dead letter: {}", reason);
        DeadLetters.Letter letter = DeadLetters.letter(key, value, headers, kind, reason, topic, partition, offset);
        ctx.forward(new Record<>(letter.key(), letter.value(), timestamp, letter.headers()),
                ScoringTopology.DEAD_LETTER_SINK);
        stats.deadLetters.increment();
    }
}
