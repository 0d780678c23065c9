package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoFrames;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import dev.vigil.stream.TopicReader;
import dev.vigil.testing.SharedData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The scoring topology against a real broker: replayed footage scored exactly once with the offline scores, alerts
 * with boxes over the anomalous stretch, dead letters for bad frames, and a corrupt model refused while the
 * previous one stays in use.
 */
class ScoringTopologyTest {
    private static final int W = 160;
    private static final int H = 128;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);
    @TempDir
    static Path dir;
    private static OnnxBackbone backbone;
    private static Path modelFile;
    private static Path clip;

    @BeforeAll
    static void fitAndRecord() throws Exception {
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        List<RgbImage> normal = IntStream.range(0, 120).mapToObj(SCENE::frame).toList();
        PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "gate")).fit(normal.iterator());
        modelFile = dir.resolve("gate.vgm");
        // ten held-back frames make a loose default threshold; the anomaly scores far above this one
        ModelFile.write(modelFile, withThreshold(model, 30));
        model.gaussian().close();
        clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, IntStream.range(120, 200).mapToObj(SCENE::frame).toList(), 10);
    }

    @AfterAll
    static void close() {
        backbone.close();
    }

    @Test
    void replayedFootageIsScoredOnceWithTheOfflineScoresAndRaisesAnAlert() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20))) {
            var kafka = broker.connection();
            ModelPublisher.publish(kafka, "gate", modelFile, 1000, 1 << 20);
            try (ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123",
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                long n = Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                assertThat(n).isEqualTo(80);
                try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 9 << 20)) {
                    // an undecodable frame just under the topic's 8 MiB limit: its dead letter, with the input and
                    // the reason, would not fit as it is
                    byte[] junk = new byte[(8 << 20) - 4096];
                    new java.util.Random(3).nextBytes(junk);
                    producer.send(dev.vigil.stream.FrameRecords.toRecord(new dev.vigil.stream.FrameRecords.Frame(
                            "gate", 997, System.currentTimeMillis(), "png", W, H, "test", 0, junk))).get();
                    // an undecodable frame and one without its headers
                    var bad = dev.vigil.stream.FrameRecords.toRecord(new dev.vigil.stream.FrameRecords.Frame("gate",
                            999, System.currentTimeMillis(), "png", W, H, "test", 0, new byte[]{1, 2, 3}));
                    producer.send(bad).get();
                    producer.send(new ProducerRecord<>(Topics.FRAMES.name(), "gate", new byte[]{9})).get();
                    // a live camera's frame a minute old: skipped and counted, so a late scorer catches up
                    producer.send(dev.vigil.stream.FrameRecords.toRecord(new dev.vigil.stream.FrameRecords.Frame(
                            "gate", 998, System.currentTimeMillis() - 60_000, "png", W, H, "udp://camera", 0,
                            FrameCodec.parse("png").encode(SCENE.frame(0)), true))).get();
                }

                List<AnomalyMapRecord> maps = readUntil(kafka, Topics.ANOMALY_MAPS, 80);
                assertThat(maps).extracting(AnomalyMapRecord::seq)
                        .containsExactlyElementsOf(IntStream.range(0, 80).mapToObj(i -> (long) i).toList());
                assertThat(maps).allSatisfy(m -> {
                    assertThat(m.camera()).isEqualTo("gate");
                    assertThat(m.modelVersion()).isEqualTo(1000);
                    assertThat(m.map().mapWidth()).isEqualTo(W);
                    assertThat(m.map().width()).isEqualTo(W / 4);
                });

                // the same pixels scored offline give the same scores: one code path
                List<RgbImage> frames = new ArrayList<>();
                try (VideoFrames video = VideoFrames.open(clip.toString())) {
                    video.forEachRemaining(f -> frames.add(f.image()));
                }
                float[] offline = new float[frames.size()];
                try (Detector detector = Detector.load(backbone, modelFile)) {
                    detector.scoreAll(IntStream.range(0, frames.size()).boxed().iterator(), 16, frames::get,
                            (i, d) -> offline[i] = d.score());
                }
                for (AnomalyMapRecord m : maps) {
                    assertThat(m.score()).isCloseTo(offline[(int) m.seq()], within(1e-4 * offline[(int) m.seq()]));
                }
                // the map travels at the patch grid's resolution: block means, whose maximum is near the score
                float[] decoded = maps.get(0).map().decode();
                assertThat(decoded).hasSize(W / 4 * H / 4);
                assertThat(max(decoded)).isBetween(0.8f * (float) maps.get(0).score(), (float) maps.get(0).score());

                // scene frames 150-174 (clip frames 30-54) hold the anomaly
                List<Alert> alerts = read(kafka, Topics.ALERTS).stream().map(r -> Alert.fromJson(r.value())).toList();
                assertThat(alerts).isNotEmpty();
                assertThat(alerts.get(0).type()).isEqualTo(Alert.Type.NEW);
                assertThat(alerts.get(0).startSeq()).isBetween(28L, 45L);
                assertThat(alerts.get(0).boxes()).isNotEmpty();
                assertThat(alerts).filteredOn(a -> a.type() == Alert.Type.END).hasSize(1)
                        .allSatisfy(a -> assertThat(a.id()).isEqualTo(alerts.get(0).id()));
                Alert end = alerts.stream().filter(a -> a.type() == Alert.Type.END).findFirst().orElseThrow();
                assertThat(end.lastSeq()).isBetween(50L, 62L);
                assertThat(end.endTime()).isNotNull();
                Alert.Box box = end.boxes().get(0);
                assertThat(box.x() + box.width()).isLessThanOrEqualTo(W);
                assertThat(box.y() + box.height()).isLessThanOrEqualTo(H);

                List<ConsumerRecord<String, byte[]>> dead = readCount(kafka, Topics.DEAD_LETTERS, 3);
                assertThat(dead).filteredOn(r -> DeadLetters.header(r.headers(), DeadLetters.PAYLOAD) != null)
                        .singleElement().satisfies(r -> {
                            assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON))
                                    .contains("undecodable frame 997");
                            assertThat(DeadLetters.header(r.headers(), DeadLetters.PAYLOAD))
                                    .endsWith(";bytes=" + ((8 << 20) - 4096));
                            assertThat(r.value().length).isLessThan(1000);
                        });
                assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                        .anySatisfy(reason -> assertThat(reason).contains("undecodable frame 999"))
                        .anySatisfy(reason -> assertThat(reason).contains("lacks header vigil.seq"));

                // version 2 with one damaged chunk: refused, version 1 keeps scoring
                int partitions = Topics.PARTITIONS;
                try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 2 << 20)) {
                    List<ModelChunk> chunks = new ArrayList<>();
                    ModelChunks.split(modelFile, "gate", 2000, 1 << 20, chunks::add);
                    for (ModelChunk c : chunks) {
                        byte[] data = c.data().clone();
                        if (c.index() == 1) {
                            data[100] ^= 0x5a;
                        }
                        producer.send(ModelRecords.toRecord(new ModelChunk(c.camera(), c.version(), c.index(),
                                c.count(), c.chunkBytes(), c.totalBytes(), c.sha256(), data), partitions)).get();
                    }
                }
                List<ConsumerRecord<String, byte[]>> refusals = readCount(kafka, Topics.DEAD_LETTERS, 4);
                assertThat(DeadLetters.header(refusals.get(3).headers(), DeadLetters.REASON))
                        .contains("version 2000").contains("checksum mismatch");
                assertThat(DeadLetters.header(refusals.get(3).headers(), DeadLetters.KIND)).isEqualTo("model");
                Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("jpeg:90"), 0);
                List<AnomalyMapRecord> again = readUntil(kafka, Topics.ANOMALY_MAPS, 160);
                assertThat(again.subList(80, 160)).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1000));
                assertThat(service.stats().modelsRefused()).isEqualTo(1);
                assertThat(service.stats().skippedLate()).isEqualTo(1);

                // a valid version 3 is swapped in between two frames: a replay after it is scored by it, none lost
                ModelFile.write(dir.resolve("gate-v3.vgm"), withThreshold(ModelFile.read(modelFile), 40));
                ModelPublisher.publish(kafka, "gate", dir.resolve("gate-v3.vgm"), 3000, 1 << 20);
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 2);
                Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> third = readUntil(kafka, Topics.ANOMALY_MAPS, 240).subList(160, 240);
                assertThat(third).extracting(AnomalyMapRecord::seq)
                        .containsExactlyElementsOf(IntStream.range(0, 80).mapToObj(i -> (long) i).toList());
                assertThat(third).allSatisfy(m -> {
                    assertThat(m.modelVersion()).isEqualTo(3000);
                    assertThat(m.threshold()).isEqualTo(40.0);
                });

                // frames of a camera nobody published a model for: counted, not scored
                Replayer.replay(kafka, "dock", clip.toString(), FrameCodec.parse("jpeg:90"), 0);
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().noModel() == 80);
                assertThat(service.stats().noModelByCamera()).containsEntry("dock", 80L);
            }
        }
    }

    @Test
    void aCandidateInShadowScoresTheSameFramesWithoutRaisingAlertsUntilItIsPromoted() throws Exception {
        // the candidate: the same Gaussians with a threshold nothing reaches, so the two models disagree on the anomaly
        Path candidate = dir.resolve("candidate.vgm");
        try (var model = new java.io.Closeable() {
            final PadimModel m = ModelFile.read(modelFile);

            @Override
            public void close() {
                m.gaussian().close();
            }
        }) {
            ModelFile.write(candidate, withThreshold(model.m, 1e9));
        }
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka-shadow"), 0);
             ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20))) {
            var kafka = broker.connection();
            String bootstrap = broker.bootstrap();
            ModelPublisher.publish(kafka, "gate", modelFile, 1000, 1 << 20);
            // a shadow record before the chunks: version 2000 is a candidate, not the newest model to score with
            ModelPublisher.shadow(kafka, "gate", 2000);
            ModelPublisher.publish(kafka, "gate", candidate, 2000, 1 << 20);
            assertThat(dev.vigil.stream.ModelVersions.read(kafka, "gate").active()).isEqualTo(1000);
            assertThat(dev.vigil.testing.VigilRun.of("model", "list", "--camera", "gate", "--bootstrap", bootstrap)
                    .out()).containsPattern("2000\\s+shadow");
            try (ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123",
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state-shadow")))) {
                // both loaded before the first frame, so that every frame is scored by both
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() >= 1
                        && service.stats().shadowsLoaded() >= 1);
                Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> maps = readUntil(kafka, Topics.ANOMALY_MAPS, 80);
                assertThat(maps).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1000));
                List<dev.vigil.stream.ShadowRecord> shadow = readCount(kafka, Topics.SHADOW, 80).stream()
                        .map(r -> dev.vigil.stream.ShadowRecord.fromJson(r.value())).toList();
                assertThat(shadow).allSatisfy(r -> {
                    assertThat(r.active().modelVersion()).isEqualTo(1000);
                    assertThat(r.shadow().modelVersion()).isEqualTo(2000);
                    // the same frame, the same Gaussians: the same score, judged against two thresholds. The two
                    // submissions may land in batches of other sizes, whose float32 sums round differently in the
                    // last bits (7.6e-6 of 79.4 seen once): equal to float precision, not bit for bit
                    assertThat(r.shadow().score()).isCloseTo(r.active().score(), within(1e-6 * r.active().score()));
                    assertThat(r.shadow().anomalous()).isFalse();
                    assertThat(r.shadow().alerts()).isEmpty();
                });
                assertThat(shadow).anySatisfy(r -> assertThat(r.active().anomalous()).isTrue());
                // the candidate's would-be alerts never reach the alerts topic; the active model's do
                List<Alert> alerts = read(kafka, Topics.ALERTS).stream().map(r -> Alert.fromJson(r.value())).toList();
                assertThat(alerts).isNotEmpty().allSatisfy(a -> assertThat(a.modelVersion()).isEqualTo(1000));

                var compare = dev.vigil.testing.VigilRun.of("model", "compare", "--camera", "gate", "--json",
                        "--bootstrap", bootstrap);
                assertThat(compare.exit()).as(compare.toString()).isZero();
                var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(compare.out());
                assertThat(rows).hasSize(1);
                assertThat(rows.get(0).get("frames").asLong()).isEqualTo(80);
                assertThat(rows.get(0).get("candidate_above").asLong()).isZero();
                assertThat(rows.get(0).get("active_alerts").asLong()).isGreaterThanOrEqualTo(1);
                assertThat(rows.get(0).get("candidate_alerts").asLong()).isZero();

                // promoted: the candidate scores, and is no longer a shadow
                var activate = dev.vigil.testing.VigilRun.of("model", "activate", "--camera", "gate", "--version",
                        "2000", "--bootstrap", bootstrap);
                assertThat(activate.exit()).as(activate.toString()).isZero();
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() >= 2);
                Replayer.replay(kafka, "gate", clip.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> after = readUntil(kafka, Topics.ANOMALY_MAPS, 160).subList(80, 160);
                assertThat(after).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(2000));
                assertThat(read(kafka, Topics.SHADOW)).hasSize(80);
                assertThat(dev.vigil.stream.ModelVersions.read(kafka, "gate").shadow()).isEqualTo(-1);
            }
        }
    }

    private static PadimModel withThreshold(PadimModel model, double threshold) {
        return new PadimModel(model.info().withThreshold(model.info().threshold().withThreshold(threshold)),
                model.gaussian());
    }

    private static float max(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    static List<AnomalyMapRecord> readUntil(dev.vigil.stream.KafkaConnection kafka, dev.vigil.stream.Topic<?> topic,
                                            int count) {
        return readCount(kafka, topic, count).stream().map(r -> AnomalyMapRecord.fromJson(r.value())).toList();
    }

    /** Waits until the topic holds {@code count} committed records, and returns them in partition order. */
    static List<ConsumerRecord<String, byte[]>> readCount(dev.vigil.stream.KafkaConnection kafka,
                                                         dev.vigil.stream.Topic<?> topic, int count) {
        List<ConsumerRecord<String, byte[]>> out = new CopyOnWriteArrayList<>();
        try (TopicReader reader = new TopicReader(kafka, topic, null, true)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                reader.read(new TopicReader.Until.Idle(Duration.ofMillis(300)), out::add, r -> out.size() >= count);
                return out.size() >= count;
            });
        }
        return out;
    }

    static List<ConsumerRecord<String, byte[]>> read(dev.vigil.stream.KafkaConnection kafka,
                                                    dev.vigil.stream.Topic<?> topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (TopicReader reader = new TopicReader(kafka, topic, null, true)) {
            reader.read(new TopicReader.Until.CaughtUp(), out::add, r -> false);
        }
        return out;
    }
}
