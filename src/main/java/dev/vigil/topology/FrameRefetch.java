package dev.vigil.topology;

import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.FrameRecords.Frame;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Re-reads frames by offset from one partition of the frames topic: the frames a task had taken but not yet
 * emitted when it stopped, whose offsets its buffer store kept. Runs once per task start, with a consumer of its own
 * (no group), and gives up on an offset the topic no longer holds.
 */
final class FrameRefetch {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private FrameRefetch() {
    }

    /** @return the frames found, by offset; offsets retention removed, or whose record is malformed, are absent */
    static Map<Long, Frame> read(KafkaConnection kafka, int partition, Collection<Long> offsets) {
        Map<Long, Frame> out = new HashMap<>();
        if (offsets.isEmpty()) {
            return out;
        }
        Set<Long> wanted = new HashSet<>(offsets);
        long first = offsets.stream().mapToLong(Long::longValue).min().orElseThrow();
        long last = offsets.stream().mapToLong(Long::longValue).max().orElseThrow();
        Map<String, Object> config = kafka.config();
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        TopicPartition tp = new TopicPartition(Topics.FRAMES.name(), partition);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            long start = Math.max(first, consumer.beginningOffsets(List.of(tp)).get(tp));
            long end = Math.min(last + 1, consumer.endOffsets(List.of(tp)).get(tp));
            consumer.seek(tp, start);
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (wanted.contains(r.offset())) {
                        try {
                            out.put(r.offset(), FrameRecords.fromRecord(r));
                        } catch (IllegalArgumentException e) {
                            // it was valid when first taken; nothing to add by failing now
                        }
                    }
                }
            }
        }
        return out;
    }
}
