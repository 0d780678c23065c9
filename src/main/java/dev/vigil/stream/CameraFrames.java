package dev.vigil.stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * A camera's frames already on the frames topic (what {@code vigil learn} fits on), read from the camera's partition
 * only, committed records only, in two passes so that at most one poll of frames is in memory whatever the count:
 * {@link #select} finds the offsets of the frames wanted (a time window, the newest N, a sampling rate of capture
 * time), {@link #read} then hands those frames out one by one.
 */
public final class CameraFrames {
    private static final Duration POLL = Duration.ofMillis(200);

    /**
     * Which frames.
     *
     * @param from   capture time of the first frame, or null for the oldest kept
     * @param to     capture time of the last frame, or null for the newest
     * @param newest only the newest this many (after sampling), or 0 for all
     */
    public record Window(Instant from, Instant to, int newest) {
    }

    /**
     * The frames chosen.
     *
     * @param offsets        their offsets, ascending
     * @param firstMillis    capture time of the first, or -1 when none
     * @param lastMillis     capture time of the last, or -1
     * @param codecs         the codecs they travelled in
     * @param malformed      records of the camera skipped because they lacked a frame's headers
     * @param predecessors   per offset, the offset of the camera's frame right before it on the partition (selected
     *                       or not), or -1 when unknown: what the motion stream differences a sampled frame with
     */
    public record Selection(String camera, int partition, long[] offsets, long firstMillis, long lastMillis,
                            TreeSet<String> codecs, long malformed, long[] predecessors) {
        public Selection {
            if (predecessors == null) {
                predecessors = new long[offsets.length];
                java.util.Arrays.fill(predecessors, -1);
            }
            if (predecessors.length != offsets.length) {
                throw new IllegalArgumentException(offsets.length + " offsets but " + predecessors.length
                        + " predecessors");
            }
        }

        public int size() {
            return offsets.length;
        }

        /**
         * The frames with, before each, the camera's frame right before it on the topic: sampled frames in
         * consecutive pairs, for the motion stream, which must only difference frames that follow each other.
         */
        public Selection withPredecessors() {
            long[] both = java.util.stream.LongStream.concat(java.util.Arrays.stream(offsets),
                    java.util.Arrays.stream(predecessors).filter(o -> o >= 0)).sorted().distinct().toArray();
            return with(both);
        }

        /**
         * Several selections of one camera as one: their frames, each once, in offset order. A fit on it is the fit
         * the selections' partial fits would merge into, so a camera can learn from several time ranges at once.
         */
        public static Selection union(List<Selection> parts) {
            Selection first = parts.get(0);
            long[] offsets = parts.stream().flatMapToLong(p -> java.util.Arrays.stream(p.offsets())).sorted()
                    .distinct().toArray();
            TreeSet<String> codecs = new TreeSet<>();
            parts.forEach(p -> codecs.addAll(p.codecs()));
            long firstMillis = parts.stream().filter(p -> p.size() > 0).mapToLong(Selection::firstMillis).min()
                    .orElse(-1);
            long lastMillis = parts.stream().filter(p -> p.size() > 0).mapToLong(Selection::lastMillis).max()
                    .orElse(-1);
            java.util.Map<Long, Long> before = new java.util.HashMap<>();
            for (Selection p : parts) {
                for (int i = 0; i < p.size(); i++) {
                    before.put(p.offsets()[i], p.predecessors()[i]);
                }
            }
            return new Selection(first.camera(), first.partition(), offsets, firstMillis, lastMillis, codecs,
                    parts.stream().mapToLong(Selection::malformed).sum(),
                    java.util.Arrays.stream(offsets).map(o -> before.getOrDefault(o, -1L)).toArray());
        }

        /** The same camera and partition, other offsets of them (ascending). */
        public Selection with(long[] someOffsets) {
            long[] before = new long[someOffsets.length];
            for (int i = 0; i < before.length; i++) {
                int at = java.util.Arrays.binarySearch(offsets, someOffsets[i]);
                before[i] = at >= 0 ? predecessors[at] : -1;
            }
            return new Selection(camera, partition, someOffsets, firstMillis, lastMillis, codecs, malformed, before);
        }
    }

    private CameraFrames() {
    }

    /**
     * @param sampleFps frames kept per second of capture time (each kept frame at least 1/F s after the last one
     *                  kept), or 0 for every frame
     */
    public static Selection select(KafkaConnection kafka, String camera, Window window, double sampleFps) {
        return select(kafka, camera, window, -1, -1, sampleFps);
    }

    /**
     * The camera's frames at offsets {@code from..to} (both included) of its partition, sampled as {@link #select}
     * does: the frames a learning phase counted, selected again to be fitted on.
     */
    public static Selection select(KafkaConnection kafka, String camera, long fromOffset, long toOffset,
                                   double sampleFps) {
        if (fromOffset < 0 || toOffset < fromOffset) {
            throw new IllegalArgumentException("offsets must be 0 <= from <= to, got " + fromOffset + ".." + toOffset);
        }
        return select(kafka, camera, new Window(null, null, 0), fromOffset, toOffset + 1, sampleFps);
    }

    private static Selection select(KafkaConnection kafka, String camera, Window window, long fromOffset,
                                    long toOffset, double sampleFps) {
        if (sampleFps < 0 || Double.isNaN(sampleFps)) {
            throw new IllegalArgumentException("sampling rate must be positive frames per second (or 0 for every "
                    + "frame), got " + sampleFps);
        }
        long gap = sampleFps > 0 ? Math.round(1000 / sampleFps) : 0;
        try (KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = partition(consumer, camera);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long start = consumer.beginningOffsets(List.of(tp)).get(tp);
            if (fromOffset >= 0) {
                // offsets gone to retention since they were counted are simply not there
                start = Math.max(start, fromOffset);
                end = Math.min(end, toOffset);
            }
            if (window.from() != null) {
                OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(tp, window.from().toEpochMilli())).get(tp);
                start = at == null ? end : at.offset();
            }
            consumer.seek(tp, start);
            long toMillis = window.to() == null ? Long.MAX_VALUE : window.to().toEpochMilli();
            long fromMillis = window.from() == null ? Long.MIN_VALUE : window.from().toEpochMilli();
            // offset and capture time of each frame kept; for the newest N, only the last N
            ArrayDeque<long[]> kept = new ArrayDeque<>();
            TreeSet<String> codecs = new TreeSet<>();
            long lastKept = Long.MIN_VALUE;
            long previous = -1;
            long malformed = 0;
            boolean past = false;
            while (!past && consumer.position(tp) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() >= end || r.timestamp() > toMillis) {
                        // a camera's frames are in capture order: nothing later is in the window
                        past = r.timestamp() > toMillis;
                        if (past) {
                            break;
                        }
                        continue;
                    }
                    if (!camera.equals(r.key())) {
                        continue;
                    }
                    if (r.timestamp() < fromMillis) {
                        previous = isFrame(r) ? r.offset() : previous;
                        continue;
                    }
                    String codec;
                    try {
                        codec = FrameRecords.fromRecord(r).codec();
                    } catch (IllegalArgumentException e) {
                        malformed++;
                        continue;
                    }
                    long before = previous;
                    previous = r.offset();
                    if (gap > 0 && lastKept != Long.MIN_VALUE && r.timestamp() - lastKept < gap) {
                        continue;
                    }
                    lastKept = r.timestamp();
                    codecs.add(codec);
                    kept.add(new long[]{r.offset(), r.timestamp(), before});
                    if (window.newest() > 0 && kept.size() > window.newest()) {
                        kept.removeFirst();
                    }
                }
            }
            long[] offsets = kept.stream().mapToLong(k -> k[0]).toArray();
            return new Selection(camera, tp.partition(), offsets, kept.isEmpty() ? -1 : kept.getFirst()[1],
                    kept.isEmpty() ? -1 : kept.getLast()[1], codecs, malformed,
                    kept.stream().mapToLong(k -> k[2]).toArray());
        }
    }

    /**
     * The camera's frames with sequence numbers {@code fromSeq..toSeq} (both included) captured at or after
     * {@code fromMillis} and, when given, at or before {@code toMillis}: frames an operator confirmed as normal
     * ({@link Feedback}). Reading starts at the partition's first record captured at or after {@code fromMillis} and
     * stops once every frame of the span is found, at a frame of the camera captured after {@code toMillis}, at the
     * partition's end as it was when asked, or after {@code maxScanned} records of the partition (other cameras'
     * included), whichever comes first: the work is bounded whatever the partition holds. A sequence number seen twice
     * (an ingest restarted within the window) counts its first frame. Frames gone to retention are simply missing.
     */
    public static Selection selectSeqs(KafkaConnection kafka, String camera, long fromSeq, long toSeq,
                                       long fromMillis, Long toMillis, long maxScanned) {
        if (fromSeq < 0 || toSeq < fromSeq || toSeq - fromSeq >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sequence numbers must be 0 <= from <= to, got " + fromSeq + ".."
                    + toSeq);
        }
        int wanted = (int) (toSeq - fromSeq + 1);
        long until = toMillis == null ? Long.MAX_VALUE : toMillis;
        try (KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = partition(consumer, camera);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(tp, fromMillis)).get(tp);
            consumer.seek(tp, at == null ? end : at.offset());
            java.util.BitSet found = new java.util.BitSet(wanted);
            List<long[]> kept = new java.util.ArrayList<>();
            TreeSet<String> codecs = new TreeSet<>();
            long scanned = 0;
            long malformed = 0;
            boolean done = false;
            while (!done && consumer.position(tp) < end && scanned < maxScanned) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() >= end || scanned++ >= maxScanned) {
                        done = true;
                        break;
                    }
                    if (!camera.equals(r.key()) || r.timestamp() < fromMillis) {
                        continue;
                    }
                    if (r.timestamp() > until) {
                        // a camera's frames are in capture order: none later is in the span
                        done = true;
                        break;
                    }
                    FrameRecords.Frame f;
                    try {
                        f = FrameRecords.fromRecord(r);
                    } catch (IllegalArgumentException e) {
                        malformed++;
                        continue;
                    }
                    if (f.seq() < fromSeq || f.seq() > toSeq || found.get((int) (f.seq() - fromSeq))) {
                        continue;
                    }
                    found.set((int) (f.seq() - fromSeq));
                    codecs.add(f.codec());
                    kept.add(new long[]{r.offset(), r.timestamp()});
                    if (kept.size() == wanted) {
                        done = true;
                        break;
                    }
                }
            }
            long[] offsets = kept.stream().mapToLong(k -> k[0]).toArray();
            return new Selection(camera, tp.partition(), offsets,
                    kept.stream().mapToLong(k -> k[1]).min().orElse(-1),
                    kept.stream().mapToLong(k -> k[1]).max().orElse(-1), codecs, malformed, null);
        }
    }

    private static boolean isFrame(ConsumerRecord<String, byte[]> r) {
        try {
            FrameRecords.fromRecord(r);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The selected frames, in order, read again from the topic as they are taken; the consumer closes once the last
     * is handed out (or on {@link AutoCloseable#close}).
     */
    public static Frames read(KafkaConnection kafka, Selection selection) {
        return new Frames(kafka, selection);
    }

    /** An iterator over the selected frames that holds one poll of records at a time. */
    public static final class Frames implements Iterator<FrameRecords.Frame>, AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final TopicPartition tp;
        private final long[] offsets;
        private int next;
        private Iterator<ConsumerRecord<String, byte[]>> polled = java.util.Collections.emptyIterator();
        private FrameRecords.Frame ready;
        private long readyOffset = -1;
        private long offset = -1;
        private boolean closed;

        private Frames(KafkaConnection kafka, Selection s) {
            this.offsets = s.offsets();
            this.consumer = consumer(kafka);
            this.tp = partition(consumer, s.camera());
            if (offsets.length > 0) {
                consumer.seek(tp, offsets[0]);
            }
        }

        @Override
        public boolean hasNext() {
            while (ready == null && next < offsets.length && !closed) {
                if (!polled.hasNext()) {
                    polled = consumer.poll(POLL).records(tp).iterator();
                    if (!polled.hasNext() && consumer.position(tp) > offsets[offsets.length - 1]) {
                        // the rest went past (retention, or an aborted transaction's records): nothing more comes
                        next = offsets.length;
                    }
                    continue;
                }
                ConsumerRecord<String, byte[]> r = polled.next();
                while (next < offsets.length && offsets[next] < r.offset()) {
                    // gone since it was selected (retention): skipped
                    next++;
                }
                if (next < offsets.length && offsets[next] == r.offset()) {
                    ready = FrameRecords.fromRecord(r);
                    readyOffset = r.offset();
                    next++;
                }
            }
            if (ready == null) {
                close();
            }
            return ready != null;
        }

        @Override
        public FrameRecords.Frame next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            FrameRecords.Frame f = ready;
            ready = null;
            offset = readyOffset;
            return f;
        }

        /** The offset of the frame {@link #next} returned last, or -1 before the first. */
        public long offset() {
            return offset;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                consumer.close(Duration.ZERO);
            }
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(KafkaConnection kafka) {
        Map<String, Object> config = kafka.config();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // frames are up to 8 MiB; a few polls' worth is what the reader holds
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static TopicPartition partition(KafkaConsumer<String, byte[]> consumer, String camera) {
        List<PartitionInfo> infos = consumer.partitionsFor(Topics.FRAMES.name(), Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + Topics.FRAMES.name() + " does not exist (no frames were ever sent)");
        }
        TopicPartition tp = new TopicPartition(Topics.FRAMES.name(), ModelRecords.partitionFor(camera, infos.size()));
        consumer.assign(List.of(tp));
        return tp;
    }

}
