package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.bench.ServeProcess;
import dev.vigil.broker.EmbeddedCluster;
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
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Vigil scaled out on a real 3-node KRaft cluster (replication 3, min ISR 2), started in-process from Kafka's own
 * artifacts: several scoring instances of one application, each with its own state directory, share six cameras
 * (one per partition). Instances come and go, a broker stops and an instance is killed, and every frame's anomaly map
 * is on the output exactly once (read_committed).
 */
@Tag("cluster")
class ScaleOutTest {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleOutTest.class);
    private static final int W = 160;
    private static final int H = 128;
    private static final Duration SESSION = Duration.ofSeconds(6);

    @TempDir
    static Path shared;
    static Path backboneManifest;
    static OnnxBackbone backbone;
    static Path modelFile;
    static List<byte[]> images;
    /** one camera per partition, so that every instance that owns a partition owns a camera */
    static List<String> cameras;

    @BeforeAll
    static void model() throws Exception {
        SyntheticScene scene = new SyntheticScene(W, H, 7, -1, -1);
        backboneManifest = SharedData.backbone("mobilenetv2-l123");
        backbone = OnnxBackbone.load(backboneManifest);
        List<RgbImage> normal = IntStream.range(0, 40).mapToObj(scene::frame).toList();
        PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "yard")).fit(normal.iterator());
        modelFile = shared.resolve("yard.vgm");
        ModelFile.write(modelFile, model);
        model.gaussian().close();
        FrameCodec jpeg = FrameCodec.parse("jpeg:90");
        images = new ArrayList<>();
        for (int i = 40; i < 50; i++) {
            images.add(jpeg.encode(scene.frame(i)));
        }
        Map<Integer, String> byPartition = new TreeMap<>();
        for (int i = 0; byPartition.size() < Topics.PARTITIONS; i++) {
            byPartition.putIfAbsent(ModelRecords.partitionFor("cam-" + i, Topics.PARTITIONS), "cam-" + i);
        }
        cameras = List.copyOf(byPartition.values());
    }

    @AfterAll
    static void close() throws Exception {
        backbone.close();
    }

    /** One scoring instance in this JVM: its own engine, Kafka Streams instance and state directory. */
    private record Instance(String name, ScoringEngine engine, ScoringService service) implements AutoCloseable {
        static Instance start(String name, KafkaConnection kafka, String applicationId, Path stateDir)
                throws Exception {
            ScoringEngine engine = new ScoringEngine(backbone, 4, Duration.ofMillis(20));
            return new Instance(name, engine, ScoringService.start(kafka, engine, backbone.manifest().name(),
                    ScoringSettings.DEFAULT, new ScoringService.Options(applicationId, stateDir, 1, 1, true, null,
                            SESSION, ScoringService.Options.DEFAULT_TRANSACTION_TIMEOUT)));
        }

        Set<String> cameras() {
            return camerasOf(service.activePartitions());
        }

        boolean running() {
            return service.state() == KafkaStreams.State.RUNNING;
        }

        @Override
        public void close() throws Exception {
            service.close();
            engine.close();
        }
    }

    static Set<String> camerasOf(Set<Integer> partitions) {
        return cameras.stream().filter(c -> partitions.contains(ModelRecords.partitionFor(c, Topics.PARTITIONS)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void camerasSpreadOverInstancesRebalanceToANewOneAndABrokerStoppingLosesNothing(@TempDir Path dir)
            throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("kafka"), 3, 3, 2)) {
            KafkaConnection kafka = cluster.connection();
            Topics.ensure(kafka);
            // Vigil's topics take the cluster's replication, as on the clusters of deploy/
            try (Admin admin = Admin.create(kafka.config())) {
                admin.describeTopics(List.of(Topics.FRAMES.name(), Topics.MODELS.name())).allTopicNames().get()
                        .values().forEach(t -> t.partitions().forEach(p -> assertThat(p.replicas()).hasSize(3)));
            }
            publishModels(kafka);
            Maps maps = new Maps(kafka);
            try (maps; Instance a = Instance.start("a", kafka, "vigil-scale", dir.resolve("state-a"));
                 Instance b = Instance.start("b", kafka, "vigil-scale", dir.resolve("state-b"))) {
                // both in the group before any frame, so that no camera is scored by one and then the other
                await().atMost(Duration.ofSeconds(120)).until(() -> a.running() && b.running()
                        && !a.cameras().isEmpty() && !b.cameras().isEmpty()
                        && a.service().activePartitions().size() + b.service().activePartitions().size()
                        == Topics.PARTITIONS);
                produce(kafka, 0, 30);
                maps.awaitAll(30);
                // each instance scored exactly the cameras of its partitions, and holds only their models
                for (Instance i : List.of(a, b)) {
                    assertThat(i.service().stats().scoredByCamera().keySet()).as(i.name()).isEqualTo(i.cameras());
                    assertThat(i.service().stats().modelsHeld()).as(i.name()).isEqualTo(i.cameras());
                }
                assertThat(union(a.cameras(), b.cameras())).containsExactlyInAnyOrderElementsOf(cameras);
                LOG.info("a scores {}, b scores {}", a.cameras(), b.cameras());

                try (Instance c = Instance.start("c", kafka, "vigil-scale", dir.resolve("state-c"))) {
                    await().atMost(Duration.ofSeconds(120)).until(() -> a.running() && b.running() && c.running()
                            && !c.cameras().isEmpty());
                    LOG.info("after c joined: a {}, b {}, c {}", a.cameras(), b.cameras(), c.cameras());
                    assertThat(a.cameras().size() + b.cameras().size() + c.cameras().size())
                            .isEqualTo(Topics.PARTITIONS);
                    produce(kafka, 30, 15);
                    // mid-stream: the frames above are being scored, and more follow with the node gone
                    cluster.stopNode(2);
                    produce(kafka, 45, 15);
                    maps.awaitAll(60);
                    assertThat(c.service().stats().scoredByCamera().keySet()).isEqualTo(c.cameras());
                    for (Instance i : List.of(a, b, c)) {
                        assertThat(i.service().stats().modelsHeld()).as(i.name()).isEqualTo(i.cameras());
                    }
                    maps.assertExactlyOnce(60);
                }
            }
        }
    }

    @Test
    void aKilledInstancesCamerasMoveToTheSurvivorWithNoFrameLostOrScoredTwice(@TempDir Path dir) throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("kafka"), 3, 3, 2)) {
            KafkaConnection kafka = cluster.connection();
            Topics.ensure(kafka);
            publishModels(kafka);
            Maps maps = new Maps(kafka);
            List<String> serve = List.of("serve", "--bootstrap", cluster.bootstrap(), "--backbone",
                    backboneManifest.toString(), "--application-id", "vigil-failover", "--state-dir",
                    dir.resolve("state-victim").toString(), "--standby-replicas", "1", "--session-timeout",
                    SESSION.toString(), "--instance-id", "victim", "--batch", "4", "--stats-every", "PT1S",
                    "--http-port", "0");
            try (maps; Instance survivor = Instance.start("survivor", kafka, "vigil-failover",
                    dir.resolve("state-survivor"));
                 ServeProcess victim = ServeProcess.start(List.of("-Xmx1g"), serve, dir.resolve("victim.log"))) {
                // the survivor keeps warm copies (standbys) of the victim's partitions
                await().atMost(Duration.ofSeconds(180)).until(() -> survivor.running()
                        && !survivor.cameras().isEmpty() && survivor.cameras().size() < Topics.PARTITIONS
                        && survivor.service().standbyPartitions().size()
                        + survivor.service().activePartitions().size() == Topics.PARTITIONS);
                Set<String> moved = new TreeSet<>(cameras);
                moved.removeAll(survivor.cameras());
                LOG.info("survivor scores {}, victim {}", survivor.cameras(), moved);
                produce(kafka, 0, 20);
                // the victim is scoring its cameras when it is killed
                await().atMost(Duration.ofSeconds(120)).until(() -> moved.stream().allMatch(c -> maps.count(c) >= 10));
                long killed = System.currentTimeMillis();
                victim.kill();
                produce(kafka, 20, 20);
                maps.awaitAll(40);
                assertThat(survivor.cameras()).containsExactlyInAnyOrderElementsOf(cameras);
                assertThat(survivor.service().stats().modelsHeld()).containsExactlyInAnyOrderElementsOf(cameras);
                for (String camera : moved) {
                    AnomalyMapRecord first = maps.firstScoredAfter(camera, killed);
                    LOG.info("camera {}: first map from the survivor scored {} ms after the kill, read {} ms after",
                            camera, first.scoredAt() - killed, maps.receivedAt(camera, first.seq()) - killed);
                }
                maps.assertExactlyOnce(40);
            }
        }
    }

    private static void publishModels(KafkaConnection kafka) throws Exception {
        for (String camera : cameras) {
            ModelPublisher.publish(kafka, camera, modelFile, 1, 1 << 20);
        }
    }

    /** Frames {@code from} to {@code from + count - 1} of every camera, acknowledged by the cluster. */
    private static void produce(KafkaConnection kafka, int from, int count) {
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
            long now = System.currentTimeMillis();
            for (int seq = from; seq < from + count; seq++) {
                for (String camera : cameras) {
                    producer.send(FrameRecords.toRecord(new FrameRecords.Frame(camera, seq, now, "jpeg", W, H,
                            "scale-test", seq, images.get(seq % images.size()), false)));
                }
            }
            producer.flush();
        }
    }

    private static Set<String> union(Set<String> x, Set<String> y) {
        Set<String> out = new HashSet<>(x);
        out.addAll(y);
        return out;
    }

    /** Every anomaly map on the output (read_committed), as it arrives, with the time it was read. */
    private static final class Maps implements AutoCloseable {
        private final TopicReader reader;
        private final Thread thread;
        private final Map<String, List<AnomalyMapRecord>> byCamera = new ConcurrentHashMap<>();
        private final Map<String, Long> received = new ConcurrentHashMap<>();

        Maps(KafkaConnection kafka) {
            reader = new TopicReader(kafka, Topics.ANOMALY_MAPS, null, true);
            thread = new Thread(() -> reader.read(new TopicReader.Until.Forever(), r -> {
                AnomalyMapRecord m = AnomalyMapRecord.fromJson(r.value());
                byCamera.computeIfAbsent(m.camera(), c -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(m);
                received.putIfAbsent(m.camera() + "#" + m.seq(), System.currentTimeMillis());
            }, r -> false), "maps");
            thread.start();
        }

        int count(String camera) {
            return byCamera.getOrDefault(camera, List.of()).size();
        }

        void awaitAll(int perCamera) {
            await().atMost(Duration.ofSeconds(180)).until(() -> cameras.stream().allMatch(c -> count(c) >= perCamera));
        }

        AnomalyMapRecord firstScoredAfter(String camera, long millis) {
            synchronized (byCamera.get(camera)) {
                return byCamera.get(camera).stream().filter(m -> m.scoredAt() > millis).findFirst().orElseThrow();
            }
        }

        long receivedAt(String camera, long seq) {
            return received.get(camera + "#" + seq);
        }

        /** Each camera's frames 0..perCamera-1, each once, in order; nothing more turns up within a few commits. */
        void assertExactlyOnce(int perCamera) throws Exception {
            await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> true);
            for (String camera : cameras) {
                List<Long> seqs;
                synchronized (byCamera.get(camera)) {
                    seqs = byCamera.get(camera).stream().map(AnomalyMapRecord::seq).toList();
                }
                assertThat(seqs).as(camera).containsExactlyElementsOf(
                        IntStream.range(0, perCamera).mapToObj(i -> (long) i).toList());
            }
        }

        @Override
        public void close() throws InterruptedException {
            reader.stop();
            thread.join();
            reader.close();
        }
    }
}
