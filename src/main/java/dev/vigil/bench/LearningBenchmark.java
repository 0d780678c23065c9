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
import dev.vigil.padim.PackedTriangle;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
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
     */
    public record Options(Preprocessing preprocessing, int features, int benchBatch, List<Integer> phases,
                          FrameCodec codec, long seed, Path workDir, Path brokerDir) {
        Path brokerLogDir() {
            return brokerDir != null ? brokerDir.resolve("vigil-bench-kafka") : workDir.resolve("kafka");
        }
    }

    private LearningBenchmark() {
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

        // the `vigil bench` figures: at its batch, and at the learner's
        Map<String, Object> bench = Benchmark.run(backbone, new Benchmark.Options(pre, o.features(), o.benchBatch(), 8,
                3, o.seed()));
        Map<String, Object> benchSmall = Benchmark.run(backbone, new Benchmark.Options(pre, o.features(),
                PublishingLearner.BATCH, 8, 3, o.seed()));
        double backboneIps = (double) bench.get("backbone_images_per_second");
        double backboneSmallIps = (double) benchSmall.get("backbone_images_per_second");
        out.put("bench_batch", o.benchBatch());
        out.put("bench_backbone_images_per_second", backboneIps);
        out.put("backbone_images_per_second_at_learner_batch", backboneSmallIps);

        Path kafkaDir = o.brokerLogDir();
        org.apache.kafka.common.utils.Utils.delete(kafkaDir.toFile());
        Files.createDirectories(o.workDir());
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
            FitOptions options = PublishingLearner.fitOptions(o.features(), CAMERA);
            Path file = o.workDir().resolve("learnt.vgm");
            List<Map<String, Object>> phases = new ArrayList<>();
            for (int n : o.phases()) {
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
                phase.put("frames", n);
                phase.put("seconds", seconds);
                phase.put("images_per_second", n / seconds);
                phase.put("to_bench_backbone", n / seconds / backboneIps);
                phase.put("to_backbone_at_learner_batch", n / seconds / backboneSmallIps);
                phase.put("select_seconds", selectSeconds);
                phase.put("fit_seconds", learnt.fitSeconds());
                phase.put("fit_images_per_second", fitted / learnt.fitSeconds());
                phase.put("fit_to_bench_backbone", fitted / learnt.fitSeconds() / backboneIps);
                phase.put("threshold_seconds", learnt.thresholdSeconds());
                phase.put("write_seconds", learnt.writeSeconds());
                phase.put("publish_seconds", publishSeconds);
                phase.put("peak_heap_bytes", Benchmark.heapPeak());
                LOG.info("learnt {} frames in {} s: {} img/s", n, String.format("%.1f", seconds),
                        String.format("%.1f", n / seconds));
                phases.add(phase);
            }
            out.put("phases", phases);
        }
        int positions = (pre.width() / 4) * (pre.height() / 4);
        out.put("accumulator_bytes", 8L * positions * (o.features() + PackedTriangle.size(o.features())));
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        out.put("measured_at", Instant.now().toString());
        return out;
    }
}
