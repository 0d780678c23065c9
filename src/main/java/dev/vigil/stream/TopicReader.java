package dev.vigil.stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Reads one of Vigil's topics the way a subscriber would (what {@code vigil scores} and {@code vigil alerts} run
 * on): committed records only (the scorer writes in transactions), all partitions or only a camera's, from the
 * beginning or from now, without a consumer group, so reading leaves no trace on the cluster.
 */
public final class TopicReader implements AutoCloseable {
    /** When to stop. */
    public sealed interface Until {
        /** Never: follow the topic until closed. */
        record Forever() implements Until {
        }

        /** After this long without a new record. */
        record Idle(Duration idle) implements Until {
        }

        /** Once the end offsets found at the start have been reached. */
        record CaughtUp() implements Until {
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final String camera;
    /** whether records keyed by anything but the camera id are skipped (model chunks are keyed camera#version#index) */
    private final boolean byKey;
    private volatile boolean closed;

    /**
     * @param camera        only this camera's partition and records, or null for all
     * @param fromBeginning from the oldest record kept, else only records written from now on
     */
    public TopicReader(KafkaConnection kafka, Topic<?> topic, String camera, boolean fromBeginning) {
        this(kafka, topic, camera, fromBeginning, true);
    }

    /**
     * A camera's whole partition, whatever the keys (the models topic's chunk and control records): the caller
     * picks out the camera's records.
     */
    public static TopicReader partitionOf(KafkaConnection kafka, Topic<?> topic, String camera) {
        return new TopicReader(kafka, topic, camera, true, false);
    }

    /**
     * The records of one key, from the beginning: keys are partitioned as camera ids are (Kafka's default
     * partitioner), so the key's partition is read, and the others' records skipped.
     */
    public static TopicReader ofKey(KafkaConnection kafka, Topic<?> topic, String key) {
        return new TopicReader(kafka, topic, key, true, true);
    }

    private TopicReader(KafkaConnection kafka, Topic<?> topic, String camera, boolean fromBeginning, boolean byKey) {
        this.byKey = byKey;
        Map<String, Object> config = kafka.config();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + topic.name() + " does not exist on " + kafka
                    + " (is `vigil serve` or `vigil broker` running?)");
        }
        if (camera != null) {
            partitions.add(new TopicPartition(topic.name(), ModelRecords.partitionFor(camera, infos.size())));
        } else {
            infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        consumer.assign(partitions);
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }
        this.camera = camera;
    }

    /**
     * Hands each record (of the camera, if one was given) to {@code sink} until {@code until} says stop or
     * {@code stop} returns true for a record.
     *
     * @return records handed out
     */
    public long read(Until until, Consumer<ConsumerRecord<String, byte[]>> sink,
                     Predicate<ConsumerRecord<String, byte[]>> stop) {
        Map<TopicPartition, Long> end = until instanceof Until.CaughtUp ? consumer.endOffsets(partitions) : Map.of();
        long n = 0;
        long lastRecord = System.nanoTime();
        while (!closed) {
            if (until instanceof Until.CaughtUp && caughtUp(end)) {
                return n;
            }
            var records = consumer.poll(Duration.ofMillis(100));
            List<TopicPartition> polled = new ArrayList<>(records.partitions());
            for (int i = 0; i < polled.size(); i++) {
                for (ConsumerRecord<String, byte[]> r : records.records(polled.get(i))) {
                    if (byKey && camera != null && !camera.equals(r.key())) {
                        continue;
                    }
                    sink.accept(r);
                    n++;
                    if (stop.test(r)) {
                        // the rest of this poll was not handed out: the next read starts with it
                        consumer.seek(polled.get(i), r.offset() + 1);
                        for (TopicPartition later : polled.subList(i + 1, polled.size())) {
                            consumer.seek(later, records.records(later).get(0).offset());
                        }
                        return n;
                    }
                }
            }
            if (!records.isEmpty()) {
                lastRecord = System.nanoTime();
            } else if (until instanceof Until.Idle idle && System.nanoTime() - lastRecord > idle.idle().toNanos()) {
                return n;
            }
        }
        return n;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        // under read_committed, endOffsets gave the last stable offset: the end of what is committed
        for (TopicPartition p : partitions) {
            if (consumer.position(p) < end.get(p)) {
                return false;
            }
        }
        return true;
    }

    /** Stops a {@link #read} in progress from another thread (e.g. a shutdown hook). */
    public void stop() {
        closed = true;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
