package dev.vigil.bench;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.learning.PublishingLearner;
import dev.vigil.learning.TopicLearner;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.engine.FeatureExtractor;
import dev.vigil.padim.ChannelSelection;
import dev.vigil.padim.GaussianSums;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learning from the stream (`vigil bench --learning`): a camera's frames are put on the frames topic of an embedded
 * broker, then the scorer's learner ({@link PublishingLearner}: re-read, decode, fit, derive the threshold, publish)
 * fits phases of increasing length. Reports frames learnt per second against the backbone alone, and the heap the
 * fit took at its peak for each length: the learning state should not grow with the frames.
 */
public final class LearningBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(LearningBenchmark.class);
    private static final String CAMERA = "bench-learn";

    /**
     * @param phases     learning phase lengths to time, in frames
     * @param benchBatch the batch of the `vigil bench` backbone figure the learning is compared with
     * @param rounds     rounds of (backbone figure, each phase's fit), ratios taken within a round: this machine's
     *                   speed drifts by 15 % between measurements a minute apart
     */
    public record Options(Preprocessing preprocessing, int features, int benchBatch, List<Integer> phases,
                          FrameCodec codec, long seed, Path workDir, Path brokerDir, int rounds) {
        Path brokerLogDir() {
            return brokerDir != null ? brokerDir.resolve("vigil-bench-kafka") : workDir.resolve("kafka");
        }
    }

    private LearningBenchmark() {
    }

    /** Something that throws. */
    interface Work {
        void run() throws Exception;
    }

    /**
     * The most heap the work holds live above what was live before it: collections forced every 200 ms while it
     * runs, the heap read after each. Peak pool usage would count garbage not yet collected.
     */
    static long liveHeap(Work work) throws Exception {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        System.gc();
        long baseline = memory.getHeapMemoryUsage().getUsed();
        java.util.concurrent.atomic.AtomicLong most = new java.util.concurrent.atomic.AtomicLong(baseline);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                System.gc();
                most.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "vigil-bench-heap");
        sampler.setDaemon(true);
        sampler.start();
        try {
            work.run();
        } finally {
            done.set(true);
            sampler.join();
        }
        return most.get() - baseline;
    }

    /** One timed learning phase of {@code n} frames, step by step as {@link PublishingLearner} runs them. */
    private static Map<String, Object> phase(KafkaConnection kafka, TopicLearner topic, FitOptions options,
                                             Preprocessing pre, Path file, int n, double backboneIps,
                                             double backboneSmallIps) throws Exception {
        Benchmark.resetPeaks();
        long t0 = System.nanoTime();
        CameraFrames.Selection selection = CameraFrames.select(kafka, CAMERA, 100, 100 + n - 1, 0);
        double selectSeconds = (System.nanoTime() - t0) / 1e9;
        TopicLearner.Learnt learnt = topic.fit(selection, pre, options, ThresholdRule.DEFAULT, 0, file);
        long t1 = System.nanoTime();
        ModelPublisher.publish(kafka, CAMERA, file, System.currentTimeMillis(), ModelChunks.DEFAULT_CHUNK_BYTES);
        double publishSeconds = (System.nanoTime() - t1) / 1e9;
        double seconds = (System.nanoTime() - t0) / 1e9;
        long fitted = learnt.info().trainingFrames();
        Map<String, Object> phase = new LinkedHashMap<>();
        phase.put("seconds", seconds);
        phase.put("images_per_second", n / seconds);
        phase.put("to_bench_backbone", n / seconds / backboneIps);
        phase.put("to_backbone_at_learner_batch", n / seconds / backboneSmallIps);
        phase.put("select_seconds", selectSeconds);
        phase.put("fit_seconds", learnt.fitSeconds());
        phase.put("fit_images_per_second", fitted / learnt.fitSeconds());
        phase.put("fit_to_bench_backbone", fitted / learnt.fitSeconds() / backboneIps);
        phase.put("fit_to_backbone_at_learner_batch", fitted / learnt.fitSeconds() / backboneSmallIps);
        phase.put("threshold_seconds", learnt.thresholdSeconds());
        phase.put("write_seconds", learnt.writeSeconds());
        phase.put("publish_seconds", publishSeconds);
        phase.put("peak_heap_bytes", Benchmark.heapPeak());
        return phase;
    }

    public static Map<String, Object> run(OnnxBackbone backbone, Options o) throws Exception {
        Preprocessing pre = o.preprocessing();
        int most = o.phases().stream().mapToInt(Integer::intValue).max().orElseThrow();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backbone", backbone.manifest().name());
        out.put("execution_provider", backbone.provider());
        out.put("input_size", pre.width() + "x" + pre.height());
        out.put("features", o.features());
        out.put("frame_codec", o.codec().toString());
        out.put("learner_batch", PublishingLearner.BATCH);

        out.put("bench_batch", o.benchBatch());
        out.put("rounds", o.rounds());
        Benchmark.Options benchAt = new Benchmark.Options(pre, o.features(), o.benchBatch(), 8, 1, o.seed());
        Benchmark.Options learnerAt = new Benchmark.Options(pre, o.features(), PublishingLearner.BATCH,
                Math.max(1, 8 * o.benchBatch() / PublishingLearner.BATCH), 1, o.seed());

        Path kafkaDir = o.brokerLogDir();
        org.apache.kafka.common.utils.Utils.delete(kafkaDir.toFile());
        dev.vigil.files.PrivateFiles.createDirectories(o.workDir());
        try (EmbeddedBroker broker = EmbeddedBroker.start(kafkaDir, 0)) {
            KafkaConnection kafka = broker.connection();
            Topics.ensure(kafka);
            SyntheticScene scene = new SyntheticScene(pre.width(), pre.height(), 7, -1, -1);
            long start = System.currentTimeMillis() - most * 100L;
            try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
                for (int i = 0; i < most + 100; i++) {
                    producer.send(FrameRecords.toRecord(new FrameRecords.Frame(CAMERA, i, start + i * 100L,
                            o.codec().toString(), pre.width(), pre.height(), "bench", i,
                            o.codec().encode(scene.frame(i)))));
                }
                producer.flush();
            }
            int partition = ModelRecords.partitionFor(CAMERA, Topics.PARTITIONS);
            PublishingLearner learner = new PublishingLearner(backbone, kafka, pre, o.features(),
                    camera -> ThresholdRule.DEFAULT);
            // warm-up: the JIT, ONNX Runtime's first runs, the consumer's first fetches
            learner.learn(CAMERA, partition, 0, 99, 0);
            // the learner's steps one by one, as PublishingLearner runs them, to see where the time goes
            TopicLearner topic = new TopicLearner(backbone, kafka);
            FitOptions options = PublishingLearner.fitOptions(o.features(), CAMERA, Scoring.PLAIN);
            Path file = o.workDir().resolve("learnt.vgm");
            double[][] backboneRates = new double[2][o.rounds()];
            List<List<Map<String, Object>>> rounds = new ArrayList<>();
            for (int r = 0; r < o.rounds(); r++) {
                backboneRates[0][r] = Benchmark.backboneImagesPerSecond(backbone, benchAt);
                backboneRates[1][r] = Benchmark.backboneImagesPerSecond(backbone, learnerAt);
                List<Map<String, Object>> timed = new ArrayList<>();
                for (int n : o.phases()) {
                    timed.add(phase(kafka, topic, options, pre, file, n, backboneRates[0][r], backboneRates[1][r]));
                }
                rounds.add(timed);
            }
            out.put("bench_backbone_images_per_second", Benchmark.median(backboneRates[0]));
            out.put("backbone_images_per_second_at_learner_batch", Benchmark.median(backboneRates[1]));
            out.put("rounds_bench_backbone_images_per_second", backboneRates[0]);
            out.put("rounds_backbone_images_per_second_at_learner_batch", backboneRates[1]);
            List<Map<String, Object>> phases = new ArrayList<>();
            for (int k = 0; k < o.phases().size(); k++) {
                int n = o.phases().get(k);
                Map<String, Object> phase = new LinkedHashMap<>();
                phase.put("frames", n);
                List<Map<String, Object>> ofPhase = new ArrayList<>();
                for (List<Map<String, Object>> round : rounds) {
                    ofPhase.add(round.get(k));
                }
                // each figure's median over rounds, and each ratio's median of its per-round values
                for (String key : ofPhase.get(0).keySet()) {
                    double[] values = ofPhase.stream().mapToDouble(m -> ((Number) m.get(key)).doubleValue()).toArray();
                    phase.put(key, Benchmark.median(values));
                    if (key.startsWith("to_") || key.contains("_to_")) {
                        phase.put("rounds_" + key, values);
                    }
                }
                // untimed: the same fit again, the live heap sampled after a forced collection every 200 ms
                phase.put("live_heap_above_baseline_bytes", liveHeap(() -> topic.fit(
                        CameraFrames.select(kafka, CAMERA, 100, 100 + n - 1, 0), pre, options, ThresholdRule.DEFAULT,
                        0, file)));
                LOG.info("learnt {} frames: {} img/s end to end, median of {} rounds", n,
                        String.format("%.1f", (double) phase.get("images_per_second")), o.rounds());
                phases.add(phase);
            }
            out.put("phases", phases);
        }
        // the sums the learner's fit holds (per cell for a sorted channel selection, as the learner's is)
        FeatureExtractor extractor = new FeatureExtractor(backbone, pre,
                ChannelSelection.random(backbone.manifest().totalChannels(), o.features(), 1));
        out.put("accumulator_bytes", GaussianSums.bytesForPlanes(extractor.embeddings()));
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        out.put("measured_at", Instant.now().toString());
        return out;
    }
}
