package dev.vigil.bench;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.Producers;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The service's throughput and latency through a real (embedded) Kafka broker, measured in one run beside the
 * offline pipeline it is compared with:
 * <ol>
 *   <li>offline: the {@link Benchmark} pipeline figure (backbone + Mahalanobis + maps on ready tensors), and the
 *       same frames scored from JPEG bytes by {@link Detector} (decode and resize included);</li>
 *   <li>capacity: a backlog of frames of several cameras already on the frames topic, scored by the topology;
 *       frames per second from the first anomaly map to the last;</li>
 *   <li>live: cameras sending at a fixed rate for a while; end-to-end latency (capture time to anomaly-map
 *       record) and the scorer's consumer lag, sampled every second.</li>
 * </ol>
 */
public final class StreamBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(StreamBenchmark.class);

    /**
     * @param warmUpPerCamera  frames per camera in each warm-up round; rounds repeat, untimed, until the JIT has gone
     *                         quiet (it compiles the broker's, Kafka Streams' and Vigil's code paths for minutes)
     * @param backlogPerCamera frames per camera in the capacity backlog
     * @param cameraFps        frames per second each camera sends in the live phase
     * @param live             how long the live phase lasts
     */
    public record Options(Preprocessing preprocessing, int features, int batch, Duration linger, int cameras,
                          int warmUpPerCamera, int backlogPerCamera, double cameraFps, Duration live, FrameCodec codec, long seed,
                          Path workDir, Path brokerDir) {
        /**
         * The broker's log directory, emptied before the run: {@code <brokerDir>/vigil-bench-kafka}, else
         * {@code <workDir>/kafka}. A subdirectory, so that a directory given for it is never wiped itself.
         */
        Path brokerLogDir() {
            return brokerDir != null ? brokerDir.resolve("vigil-bench-kafka") : workDir.resolve("kafka");
        }
    }

    /** Compiling under this share of the machine's cores in a warm-up round ends the warm-up. */
    static final double QUIET_JIT_SHARE = 0.02;
    static final int MAX_WARM_UP_ROUNDS = 20;

    private StreamBenchmark() {
    }

    private static void produce(KafkaConnection kafka, List<String> cameras, int from, int count, Preprocessing pre,
                                List<byte[]> encoded, FrameCodec codec) {
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
            long now = System.currentTimeMillis();
            for (int i = from; i < from + count; i++) {
                for (String camera : cameras) {
                    producer.send(FrameRecords.toRecord(frame(camera, i, now, pre, encoded, codec, false)));
                }
            }
            producer.flush();
        }
    }

    /** Frames 120-239 of the bench's synthetic scene, encoded: what the cameras send, round and round. */
    static List<byte[]> sceneFrames(Preprocessing pre, FrameCodec codec) throws java.io.IOException {
        SyntheticScene scene = new SyntheticScene(pre.width(), pre.height(), 7, -1, -1);
        List<byte[]> encoded = new ArrayList<>();
        for (int i = 120; i < 240; i++) {
            encoded.add(codec.encode(scene.frame(i)));
        }
        return encoded;
    }

    /** The cameras' model: fitted on frames 0-119 of the same scene, through the codec they travel in. */
    static Path fitSceneModel(OnnxBackbone backbone, Preprocessing pre, int features, long seed, int batch,
                              FrameCodec codec, Path file) throws java.io.IOException {
        SyntheticScene scene = new SyntheticScene(pre.width(), pre.height(), 7, -1, -1);
        List<RgbImage> normal = IntStream.range(0, 120).mapToObj(scene::frame).toList();
        PadimModel model = new Trainer(backbone, pre, new FitOptions(features, seed, FitOptions.DEFAULT_EPS, batch,
                FitOptions.DEFAULT_HOLD_OUT_EVERY, FitOptions.DEFAULT_MAX_HELD_OUT, "bench"))
                .fit(FrameCodec.roundTrip(codec, normal.iterator()));
        ModelFile.write(file, model);
        model.close();
        return file;
    }

    public static Map<String, Object> run(OnnxBackbone backbone, Options o) throws Exception {
        Preprocessing pre = o.preprocessing();
        List<byte[]> encoded = sceneFrames(pre, o.codec());
        dev.vigil.files.PrivateFiles.createDirectories(o.workDir());
        Path modelFile = fitSceneModel(backbone, pre, o.features(), o.seed(), o.batch(), o.codec(),
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
        out.put("broker_log_dir", o.brokerLogDir().toAbsolutePath().toString());

        Map<String, Object> bench = Benchmark.run(backbone, new Benchmark.Options(pre, o.features(), o.batch(), 8, 3,
                o.seed()));
        double pipeline = (double) bench.get("pipeline_images_per_second");
        out.put("bench_pipeline_images_per_second", pipeline);
        double fromBytes = offlineFromBytes(backbone, modelFile, encoded, o.batch(), o.cameras() * o.backlogPerCamera());
        out.put("offline_from_jpeg_images_per_second", fromBytes);

        Path kafkaDir = o.brokerLogDir();
        Path stateDir = o.workDir().resolve("state");
        org.apache.kafka.common.utils.Utils.delete(kafkaDir.toFile());
        org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
        List<String> cameras = IntStream.range(0, o.cameras()).mapToObj(i -> "bench-" + i).toList();
        try (EmbeddedBroker broker = EmbeddedBroker.start(kafkaDir, 0);
             ScoringEngine engine = new ScoringEngine(backbone, o.batch(), o.linger())) {
            KafkaConnection kafka = broker.connection();
            for (String camera : cameras) {
                ModelPublisher.publish(kafka, camera, modelFile, 1, ModelChunks.DEFAULT_CHUNK_BYTES);
            }
            int backlog = o.cameras() * o.backlogPerCamera();
            int warmUp = o.cameras() * o.warmUpPerCamera();
            try (ScoringService service = ScoringService.start(kafka, engine, backbone.manifest().name(),
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(stateDir));
                 TopicReader maps = new TopicReader(kafka, Topics.ANOMALY_MAPS, null, true)) {
                // warm-up: the JIT compiles the broker's, Kafka Streams' and Vigil's paths, for minutes on two cores.
                // A service runs for days, so the timing starts once the compilers have gone quiet: rounds of
                // warm-up until compiling takes under 2 % of the machine in a round (at most MAX_WARM_UP_ROUNDS)
                CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
                int cores = Runtime.getRuntime().availableProcessors();
                int warmedPerCamera = 0;
                int rounds = 0;
                double jitShare;
                do {
                    long wall0 = System.nanoTime();
                    long jit0 = jit.getTotalCompilationTime();
                    produce(kafka, cameras, warmedPerCamera, o.warmUpPerCamera(), pre, encoded, o.codec());
                    int[] seen = {0};
                    maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(120)), r -> seen[0]++,
                            r -> seen[0] >= warmUp);
                    warmedPerCamera += o.warmUpPerCamera();
                    rounds++;
                    jitShare = (jit.getTotalCompilationTime() - jit0) / ((System.nanoTime() - wall0) / 1e6 * cores);
                    LOG.info("warm-up round {}: {} frames per camera, compiling took {}% of the machine", rounds,
                            o.warmUpPerCamera(), String.format("%.1f", 100 * jitShare));
                } while (jitShare > QUIET_JIT_SHARE && rounds < MAX_WARM_UP_ROUNDS);
                out.put("warm_up_rounds", rounds);
                out.put("warm_up_last_round_jit_share", jitShare);
                // capacity: a backlog far faster than the scorer, timed from its first map to its last
                long jitBefore = jit.getTotalCompilationTime();
                long wallBefore = System.nanoTime();
                produce(kafka, cameras, warmedPerCamera, o.backlogPerCamera(), pre, encoded, o.codec());
                long[] first = {Long.MAX_VALUE};
                long[] last = {0};
                int[] n = {0};
                maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(120)), r -> {
                    AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
                    first[0] = Math.min(first[0], m.scoredAt());
                    last[0] = Math.max(last[0], m.scoredAt());
                    n[0]++;
                }, r -> n[0] >= backlog);
                out.put("capacity_jit_share", (jit.getTotalCompilationTime() - jitBefore)
                        / ((System.nanoTime() - wallBefore) / 1e6 * cores));
                double capacity = (n[0] - 1) / ((last[0] - first[0]) / 1000.0);
                out.put("warm_up_frames", warmedPerCamera * cameras.size());
                out.put("capacity_frames", n[0]);
                out.put("capacity_images_per_second", capacity);
                out.put("capacity_to_bench_pipeline", capacity / pipeline);
                out.put("capacity_to_offline_from_jpeg", capacity / fromBytes);
                out.put("capacity_mean_batch", engine.meanBatchSize());
                LOG.info("capacity {} frames/s ({}x the bench pipeline {}), compiling took {}% of the machine meanwhile",
                        String.format("%.1f", capacity), String.format("%.2f", capacity / pipeline),
                        String.format("%.1f", pipeline),
                        String.format("%.1f", 100 * (double) out.get("capacity_jit_share")));

                live(kafka, o, cameras, encoded, maps, warmedPerCamera + o.backlogPerCamera(), out);
                out.put("late_live_frames_skipped", service.stats().skippedLate());
            }
        }
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        out.put("measured_at", Instant.now().toString());
        return out;
    }

    /** Cameras sending at their rate; latencies from the maps, lag sampled every second. */
    private static void live(KafkaConnection kafka, Options o, List<String> cameras, List<byte[]> encoded,
                             TopicReader maps, int firstSeq, Map<String, Object> out) throws Exception {
        Preprocessing pre = o.preprocessing();
        int perCamera = (int) Math.round(o.cameraFps() * o.live().toSeconds());
        int total = perCamera * cameras.size();
        List<Long> latencies = new ArrayList<>();
        List<Long> lags = new ArrayList<>();
        Thread reader = new Thread(() -> maps.read(new TopicReader.Until.Idle(Duration.ofSeconds(60)), r -> {
            AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
            synchronized (latencies) {
                latencies.add(m.scoredAt() - m.timestamp());
            }
        }, r -> latencies.size() >= total), "bench-maps");
        reader.start();
        long intervalNanos = (long) (1e9 / o.cameraFps());
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20);
             Admin admin = Admin.create(kafka.config())) {
            long start = System.nanoTime();
            long nextLag = start;
            for (int i = 0; i < perCamera; i++) {
                long due = start + i * intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    // pacing the simulated cameras to their frame rate
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                long now = System.currentTimeMillis();
                for (String camera : cameras) {
                    producer.send(FrameRecords.toRecord(frame(camera, firstSeq + i, now, pre, encoded,
                            o.codec(), true)));
                }
                if (System.nanoTime() >= nextLag) {
                    lags.add(lag(admin));
                    nextLag += 1_000_000_000L;
                }
            }
            producer.flush();
            reader.join(120_000);
            lags.add(lag(admin));
        }
        long[] sorted;
        synchronized (latencies) {
            sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        out.put("live_camera_fps", o.cameraFps());
        out.put("live_seconds", o.live().toSeconds());
        out.put("live_frames_sent", total);
        out.put("live_frames_scored", sorted.length);
        out.put("latency_ms_p50", percentile(sorted, 50));
        out.put("latency_ms_p99", percentile(sorted, 99));
        out.put("latency_ms_max", sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
        out.put("consumer_lag_samples", lags);
        out.put("consumer_lag_max", lags.stream().mapToLong(Long::longValue).max().orElse(-1));
    }

    /** Frames on the topic not yet committed by the scorer, all partitions. */
    private static long lag(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                ScoringService.Options.defaults(Path.of(".")).applicationId()).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < Topics.PARTITIONS; p++) {
            latest.put(new TopicPartition(Topics.FRAMES.name(), p), OffsetSpec.latest());
        }
        long lag = 0;
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            lag += e.getValue().offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }

    private static FrameRecords.Frame frame(String camera, long seq, long captureMillis, Preprocessing pre,
                                            List<byte[]> encoded, FrameCodec codec, boolean live) {
        return new FrameRecords.Frame(camera, seq, captureMillis, codec.toString(), pre.width(), pre.height(), "bench",
                seq, encoded.get((int) (seq % encoded.size())), live);
    }

    /** The same frames scored offline from their encoded bytes: decode, resize, pipeline. */
    private static double offlineFromBytes(OnnxBackbone backbone, Path modelFile, List<byte[]> encoded, int batch,
                                           int frames) throws IOException {
        try (Detector detector = Detector.load(backbone, modelFile)) {
            // warm-up
            detector.scoreAll(IntStream.range(0, batch).iterator(), batch, i -> decode(encoded.get(i)), (i, d) -> {
            });
            long t0 = System.nanoTime();
            detector.scoreAll(IntStream.range(0, frames).iterator(), batch,
                    i -> decode(encoded.get(i % encoded.size())), (i, d) -> {
                    });
            return frames / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static RgbImage decode(byte[] bytes) {
        try {
            return FrameCodec.decode(bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
