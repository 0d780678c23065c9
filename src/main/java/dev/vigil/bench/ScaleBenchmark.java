package dev.vigil.bench;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.broker.EmbeddedCluster;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.media.FrameCodec;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scaling out, measured with real separate {@code vigil serve} processes ({@link ServeProcess}) on an embedded
 * Kafka broker or cluster in this process:
 * <ol>
 *   <li>capacity with one instance, then with N instances of the same application (each phase on a fresh broker,
 *       after the same untimed warm-up): a backlog of frames of every camera, frames per second from the first
 *       anomaly map to the last. Their ratio is what coordinating N instances costs when they share the
 *       machine's cores;</li>
 *   <li>failover: with the N instances running (one standby replica) and the cameras sending live, one instance is
 *       killed (SIGKILL); for each of its cameras, the time from the kill to the first anomaly map a survivor
 *       scored, and to the moment a read_committed reader got it; and whether any frame sent was lost or scored
 *       twice;</li>
 *   <li>how long decoding one model takes (what a failover spends on it, the standby having the chunks).</li>
 * </ol>
 */
public final class ScaleBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleBenchmark.class);
    private static final String APPLICATION = "vigil-bench-scale";

    /**
     * @param backboneManifest   the manifest the serve processes load (the same as {@code backbone}'s)
     * @param device             --device of the serve processes
     * @param warmUpPerCamera    frames per camera in each untimed warm-up round
     * @param warmUpRounds       warm-up rounds before the capacity backlog, in every phase
     * @param backlogPerCamera   frames per camera in the capacity backlog
     * @param cameraFps          frames per second each camera sends in the failover phase
     * @param brokers            1: an embedded single-node broker; 3: a 3-node cluster (replication 3, min ISR 2)
     * @param serveOptions       more options for every serve process (e.g. --session-timeout)
     * @param jvmOptions         JVM options of every serve process (e.g. -Xmx2g)
     */
    public record Options(Path backboneManifest, String device, Preprocessing preprocessing, int features, int batch,
                          Duration linger, int cameras, int instances, int warmUpPerCamera, int warmUpRounds,
                          int backlogPerCamera, double cameraFps, int brokers, FrameCodec codec, long seed,
                          Path workDir, List<String> serveOptions, List<String> jvmOptions) {
    }

    private ScaleBenchmark() {
    }

    public static Map<String, Object> run(OnnxBackbone backbone, Options o) throws Exception {
        Preprocessing pre = o.preprocessing();
        List<byte[]> encoded = StreamBenchmark.sceneFrames(pre, o.codec());
        org.apache.kafka.common.utils.Utils.delete(o.workDir().toFile());
        dev.vigil.files.PrivateFiles.createDirectories(o.workDir());
        Path modelFile = StreamBenchmark.fitSceneModel(backbone, pre, o.features(), o.seed(), o.batch(), o.codec(),
                o.workDir().resolve("bench.vgm"));

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backbone", backbone.manifest().name());
        out.put("execution_provider", backbone.provider());
        out.put("input_size", pre.width() + "x" + pre.height());
        out.put("features", o.features());
        out.put("batch", o.batch());
        out.put("linger_ms", o.linger().toMillis());
        out.put("frame_codec", o.codec().toString());
        out.put("cameras", o.cameras());
        out.put("instances", o.instances());
        out.put("brokers", o.brokers());
        out.put("model_bytes", Files.size(modelFile));
        out.put("model_decode_ms", decodeMillis(backbone, modelFile));
        // one camera per partition while there are partitions: the instances' shares are then even
        List<String> cameras = cameras(o.cameras());
        out.put("camera_ids", cameras);

        Map<String, Object> one = phase(o, 1, modelFile, cameras, encoded, false);
        Map<String, Object> many = phase(o, o.instances(), modelFile, cameras, encoded, true);
        double c1 = (double) one.get("capacity_images_per_second");
        double cn = (double) many.get("capacity_images_per_second");
        out.put("one_instance", one);
        out.put(o.instances() + "_instances", many);
        out.put("capacity_one_instance", c1);
        out.put("capacity_all_instances", cn);
        out.put("capacity_per_instance", cn / o.instances());
        out.put("capacity_ratio", cn / c1);
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        out.put("measured_at", Instant.now().toString());
        return out;
    }

    static List<String> cameras(int n) {
        Map<Integer, List<String>> byPartition = new TreeMap<>();
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) {
            String c = "bench-" + i;
            int p = ModelRecords.partitionFor(c, Topics.PARTITIONS);
            int round = out.size() / Topics.PARTITIONS;
            if (byPartition.computeIfAbsent(p, k -> new ArrayList<>()).size() <= round) {
                byPartition.get(p).add(c);
                out.add(c);
            }
        }
        return out;
    }

    /** Median of three loads of the model file by the scoring engine: read, checks, off-heap factor. */
    private static long decodeMillis(OnnxBackbone backbone, Path modelFile) throws Exception {
        long[] ms = new long[3];
        try (ScoringEngine engine = new ScoringEngine(backbone, 1, Duration.ZERO)) {
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                engine.load("decode", 1, modelFile).release();
                ms[i] = (System.nanoTime() - t0) / 1_000_000;
            }
        }
        java.util.Arrays.sort(ms);
        return ms[1];
    }

    /** One phase on a fresh broker: k instances, warm-up, capacity; then the failover when asked. */
    private static Map<String, Object> phase(Options o, int k, Path modelFile, List<String> cameras,
                                             List<byte[]> encoded, boolean failover) throws Exception {
        Path dir = o.workDir().resolve(k + "-instances");
        Map<String, Object> out = new LinkedHashMap<>();
        AutoCloseable broker = o.brokers() == 1 ? EmbeddedBroker.start(dir.resolve("kafka"), 0)
                : EmbeddedCluster.start(dir.resolve("kafka"), o.brokers(), 3, 2);
        List<ServeProcess> serves = new ArrayList<>();
        // the instances stop before the broker does: they commit what they scored on the way out
        try (broker; AutoCloseable stopServes = () -> {
            for (ServeProcess s : serves) {
                s.close();
            }
        }) {
            KafkaConnection kafka = broker instanceof EmbeddedBroker b ? b.connection()
                    : ((EmbeddedCluster) broker).connection();
            String bootstrap = broker instanceof EmbeddedBroker b ? b.bootstrap()
                    : ((EmbeddedCluster) broker).bootstrap();
            Topics.ensure(kafka);
            for (String camera : cameras) {
                ModelPublisher.publish(kafka, camera, modelFile, 1, ModelChunks.DEFAULT_CHUNK_BYTES);
            }
            for (int i = 0; i < k; i++) {
                List<String> args = new ArrayList<>(List.of("serve", "--bootstrap", bootstrap, "--backbone",
                        o.backboneManifest().toString(), "--device", o.device(), "--application-id", APPLICATION,
                        "--state-dir", dir.resolve("state-" + i).toString(), "--instance-id", "bench-" + i,
                        "--standby-replicas", k > 1 ? "1" : "0", "--batch", String.valueOf(o.batch()),
                        "--linger-ms", String.valueOf(o.linger().toMillis()), "--stats-every", "PT5S",
                        "--http-port", "0"));
                args.addAll(o.serveOptions());
                serves.add(ServeProcess.start(o.jvmOptions(), args, dir.resolve("serve-" + i + ".log")));
            }
            try (Admin admin = Admin.create(kafka.config());
                 TopicReader maps = new TopicReader(kafka, Topics.ANOMALY_MAPS, null, true)) {
                long t0 = System.nanoTime();
                awaitGroup(admin, k, serves);
                out.put("group_stable_after_ms", (System.nanoTime() - t0) / 1_000_000);
                int next = awaitModels(kafka, maps, cameras, o, encoded);
                out.put("models_loaded_after_ms", (System.nanoTime() - t0) / 1_000_000);
                for (int r = 0; r < o.warmUpRounds(); r++) {
                    long w0 = System.nanoTime();
                    produce(kafka, cameras, next, o.warmUpPerCamera(), o, encoded);
                    int expected = cameras.size() * o.warmUpPerCamera();
                    int[] seen = {0};
                    maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(180)), m -> seen[0]++,
                            m -> seen[0] >= expected);
                    next += o.warmUpPerCamera();
                    LOG.info("{} instance(s), warm-up round {}: {} frames in {} s", k, r + 1, seen[0],
                            String.format("%.1f", (System.nanoTime() - w0) / 1e9));
                }
                int backlog = cameras.size() * o.backlogPerCamera();
                produce(kafka, cameras, next, o.backlogPerCamera(), o, encoded);
                next += o.backlogPerCamera();
                long[] first = {Long.MAX_VALUE};
                long[] last = {0};
                int[] n = {0};
                maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(180)), r -> {
                    AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
                    first[0] = Math.min(first[0], m.scoredAt());
                    last[0] = Math.max(last[0], m.scoredAt());
                    n[0]++;
                }, r -> n[0] >= backlog);
                double capacity = (n[0] - 1) / ((last[0] - first[0]) / 1000.0);
                out.put("instances", k);
                out.put("warm_up_frames", cameras.size() * o.warmUpPerCamera() * o.warmUpRounds());
                out.put("capacity_frames", n[0]);
                out.put("capacity_images_per_second", capacity);
                LOG.info("{} instance(s): {} frames/s", k, String.format("%.1f", capacity));
                if (failover) {
                    failover(o, kafka, admin, maps, serves, cameras, encoded, next, out);
                }
            }
        }
        return out;
    }

    /**
     * Sends a frame of every camera still without a map, every 2 s, until each camera has one: a frame that arrives
     * before its camera's model is counted and not scored, and would leave a warm-up round waiting for it.
     *
     * @return the next frame number
     */
    private static int awaitModels(KafkaConnection kafka, TopicReader maps, List<String> cameras, Options o,
                                   List<byte[]> encoded) {
        Set<String> waiting = new TreeSet<>(cameras);
        int seq = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!waiting.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no anomaly map for cameras " + waiting + " within 5 minutes");
            }
            try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
                for (String camera : cameras) {
                    producer.send(FrameRecords.toRecord(frame(camera, seq, System.currentTimeMillis(), o, encoded,
                            false)));
                }
            }
            seq++;
            maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(2)),
                    r -> waiting.remove(r.key()), r -> waiting.isEmpty());
        }
        // the probes' maps still to come are drained here, not counted in the warm-up
        maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(3)), r -> { }, r -> false);
        return seq;
    }

    /** Waits until the group has k members sharing every partition of the frames topic. */
    private static void awaitGroup(Admin admin, int k, List<ServeProcess> serves) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (true) {
            for (ServeProcess s : serves) {
                if (!s.isAlive()) {
                    throw new IllegalStateException("vigil serve exited during start-up; see " + s.log());
                }
            }
            ConsumerGroupDescription g;
            try {
                g = admin.describeConsumerGroups(List.of(APPLICATION)).describedGroups().get(APPLICATION).get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                    throw e;
                }
                g = null;
            }
            if (g == null) {
                // not joined yet
            } else if (g.groupState() == GroupState.STABLE && g.members().size() == k
                    && framePartitions(g.members()).size() == Topics.PARTITIONS) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the serve instances did not form a stable group of " + k
                        + " within 5 minutes (" + (g == null ? "no group" : "state " + g.groupState() + ", "
                        + g.members().size() + " members") + ")");
            }
            // polling the group's state every half second
            Thread.sleep(500);
        }
    }

    private static Set<Integer> framePartitions(java.util.Collection<MemberDescription> members) {
        Set<Integer> out = new TreeSet<>();
        for (MemberDescription m : members) {
            for (TopicPartition tp : m.assignment().topicPartitions()) {
                if (tp.topic().equals(Topics.FRAMES.name())) {
                    out.add(tp.partition());
                }
            }
        }
        return out;
    }

    /**
     * Cameras send live; once every camera's maps flow, the last instance is killed. Sending goes on until each
     * of its cameras has a map scored after the kill, and 5 s more (at most 2 minutes).
     */
    private static void failover(Options o, KafkaConnection kafka, Admin admin, TopicReader maps,
                                 List<ServeProcess> serves, List<String> cameras, List<byte[]> encoded, int firstSeq,
                                 Map<String, Object> out) throws Exception {
        ServeProcess victim = serves.get(serves.size() - 1);
        ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(APPLICATION)).describedGroups()
                .get(APPLICATION).get();
        Set<Integer> victimPartitions = framePartitions(g.members().stream()
                .filter(m -> m.groupInstanceId().orElse("").startsWith("bench-" + (serves.size() - 1))).toList());
        List<String> moved = cameras.stream().filter(c -> victimPartitions.contains(
                ModelRecords.partitionFor(c, Topics.PARTITIONS))).toList();
        LOG.info("failover: killing instance bench-{} (cameras {})", serves.size() - 1, moved);

        Map<String, List<long[]>> seen = new ConcurrentHashMap<>();
        Thread reader = new Thread(() -> maps.read(new TopicReader.Until.Forever(), r -> {
            AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
            seen.computeIfAbsent(m.camera(), c -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(new long[]{m.seq(), m.scoredAt(), System.currentTimeMillis()});
        }, r -> false), "bench-maps");
        reader.start();
        long intervalNanos = (long) (1e9 / o.cameraFps());
        long killedAt = -1;
        int sent = 0;
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
            long start = System.nanoTime();
            long stopAt = Long.MAX_VALUE;
            for (int i = 0; System.nanoTime() < stopAt; i++) {
                long wait = start + i * intervalNanos - System.nanoTime();
                if (wait > 0) {
                    // pacing the simulated cameras to their frame rate
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                long now = System.currentTimeMillis();
                for (String camera : cameras) {
                    // recorded, not live: a live frame older than --max-live-age is skipped by design, and would
                    // count as lost here
                    producer.send(FrameRecords.toRecord(frame(camera, firstSeq + i, now, o, encoded, false)));
                }
                sent = i + 1;
                if (killedAt < 0 && i >= 5 * o.cameraFps() && cameras.stream().allMatch(c -> count(seen, c) > 0)) {
                    killedAt = System.currentTimeMillis();
                    victim.kill();
                    LOG.info("failover: instance killed");
                }
                if (killedAt > 0 && stopAt == Long.MAX_VALUE) {
                    long k = killedAt;
                    if (moved.stream().allMatch(c -> firstAfter(seen, c, k) != null)) {
                        stopAt = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    } else if (System.currentTimeMillis() - killedAt > 120_000) {
                        stopAt = System.nanoTime();
                    }
                }
            }
            producer.flush();
        }
        // the last frames' maps: wait for them (at most a minute), then stop reading
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int perCamera = sent;
        while (System.nanoTime() < until && !cameras.stream().allMatch(c -> count(seen, c) >= perCamera)) {
            Thread.sleep(200);
        }
        // anything scored twice would show within a few commits
        Thread.sleep(2000);
        maps.stop();
        reader.join();

        Map<String, Object> perCameraFailover = new TreeMap<>();
        long worstScored = 0;
        long worstRead = 0;
        for (String camera : moved) {
            long[] first = firstAfter(seen, camera, killedAt);
            if (first == null) {
                perCameraFailover.put(camera, "no map after the kill");
                worstScored = worstRead = -1;
                continue;
            }
            perCameraFailover.put(camera, Map.of("scored_ms", first[1] - killedAt, "read_ms", first[2] - killedAt));
            if (worstScored >= 0) {
                worstScored = Math.max(worstScored, first[1] - killedAt);
                worstRead = Math.max(worstRead, first[2] - killedAt);
            }
        }
        long lost = 0;
        long duplicates = 0;
        for (String camera : cameras) {
            List<long[]> maps0 = seen.getOrDefault(camera, List.of());
            Set<Long> seqs = new TreeSet<>();
            synchronized (maps0) {
                for (long[] m : maps0) {
                    if (!seqs.add(m[0])) {
                        duplicates++;
                    }
                }
            }
            for (int i = 0; i < sent; i++) {
                if (!seqs.contains((long) (firstSeq + i))) {
                    lost++;
                }
            }
        }
        out.put("failover_camera_fps", o.cameraFps());
        out.put("failover_cameras_moved", moved);
        out.put("failover_per_camera", perCameraFailover);
        out.put("failover_scored_ms_max", worstScored);
        out.put("failover_read_ms_max", worstRead);
        out.put("failover_frames_sent", (long) sent * cameras.size());
        out.put("failover_frames_lost", lost);
        out.put("failover_frames_scored_twice", duplicates);
        LOG.info("failover: first map of every moved camera within {} ms of the kill (read within {} ms); {} lost, "
                + "{} scored twice", worstScored, worstRead, lost, duplicates);
    }

    private static int count(Map<String, List<long[]>> seen, String camera) {
        return seen.getOrDefault(camera, List.of()).size();
    }

    private static long[] firstAfter(Map<String, List<long[]>> seen, String camera, long millis) {
        List<long[]> list = seen.getOrDefault(camera, List.of());
        synchronized (list) {
            return list.stream().filter(m -> m[1] > millis).findFirst().orElse(null);
        }
    }

    private static void produce(KafkaConnection kafka, List<String> cameras, int from, int count, Options o,
                                List<byte[]> encoded) {
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
            long now = System.currentTimeMillis();
            for (int i = from; i < from + count; i++) {
                for (String camera : cameras) {
                    producer.send(FrameRecords.toRecord(frame(camera, i, now, o, encoded, false)));
                }
            }
            producer.flush();
        }
    }

    private static FrameRecords.Frame frame(String camera, long seq, long captureMillis, Options o,
                                            List<byte[]> encoded, boolean live) {
        Preprocessing pre = o.preprocessing();
        return new FrameRecords.Frame(camera, seq, captureMillis, o.codec().toString(), pre.width(), pre.height(),
                "bench", seq, encoded.get((int) (seq % encoded.size())), live);
    }
}
