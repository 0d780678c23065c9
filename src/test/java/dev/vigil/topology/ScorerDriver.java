package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;

/**
 * The scoring topology under Kafka's {@link TopologyTestDriver}: no broker, the real engine and backbone. Frames and
 * model chunks are piped in, the wall clock is advanced by hand (results are emitted by a wall-clock punctuation), and
 * maps, alerts and dead letters are read back. A driver opened again on the same state directory is the instance
 * restarted: persistent stores and the in-flight journal survive, in-memory ones do not.
 */
final class ScorerDriver implements AutoCloseable {
    final TopologyTestDriver driver;
    final ScoringStats stats;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TestInputTopic<String, byte[]> frames;
    private final TestInputTopic<String, byte[]> models;
    private final TestOutputTopic<String, byte[]> maps;
    private final TestOutputTopic<String, byte[]> alerts;
    private final TestOutputTopic<String, byte[]> deadLetters;
    private final TestInputTopic<String, byte[]> feedback;
    private final TestOutputTopic<String, byte[]> status;
    final List<AnomalyMapRecord> mapsRead = new ArrayList<>();
    final List<TestRecord<String, byte[]>> statusRead = new ArrayList<>();
    final List<TestRecord<String, byte[]>> deadLettersRead = new ArrayList<>();
    final List<byte[]> alertsRead = new ArrayList<>();

    ScorerDriver(ScoringEngine engine, ScoringSettings settings, Path stateDir) {
        this(engine, settings, stateDir, null);
    }

    /** @param refiner refines models from the feedback topic's confirmations, or null for none */
    ScorerDriver(ScoringEngine engine, ScoringSettings settings, Path stateDir, CameraRefiner refiner) {
        stats = new ScoringStats(registry);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "vigil-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(ScoringTopology.build(engine, settings, stats, "mobilenetv2-l123", null, null,
                refiner, Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "test-learn");
                    t.setDaemon(true);
                    return t;
                })), p, Instant.now());
        frames = driver.createInputTopic(Topics.FRAMES.name(), new StringSerializer(), new ByteArraySerializer());
        models = driver.createInputTopic(Topics.MODELS.name(), new StringSerializer(), new ByteArraySerializer());
        maps = driver.createOutputTopic(Topics.ANOMALY_MAPS.name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        alerts = driver.createOutputTopic(Topics.ALERTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(Topics.DEAD_LETTERS.name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        feedback = driver.createInputTopic(Topics.FEEDBACK.name(), new StringSerializer(), new ByteArraySerializer());
        status = driver.createOutputTopic(Topics.CAMERA_STATUS.name(), new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Any record on the feedback topic: an operator's confirmation, or what a hostile producer writes. */
    void feedback(String key, byte[] value) {
        feedback.pipeInput(new TestRecord<>(key, value, new RecordHeaders(), Instant.now()));
    }

    /** Publishes a model file for a camera, as `vigil model publish` would, and waits until it is active. */
    void publish(String camera, Path modelFile, long version) throws Exception {
        long loaded = stats.modelsLoaded();
        List<ModelChunk> chunks = new ArrayList<>();
        ModelChunks.split(modelFile, camera, version, 1 << 20, chunks::add);
        for (ModelChunk c : chunks) {
            pipe(ModelRecords.toRecord(c, Topics.PARTITIONS), models);
        }
        pumpUntil(() -> stats.modelsLoaded() > loaded);
    }

    /** Any record on the models topic: a chunk or control record as a publisher or an attacker writes it. */
    void model(ProducerRecord<String, byte[]> r) {
        pipe(r, models);
    }

    /** A frame as ingest writes it. */
    void frame(FrameRecords.Frame f) {
        pipe(FrameRecords.toRecord(f), frames);
    }

    /** Any record on the frames topic, as a hostile producer may write it. */
    void rawFrame(String key, byte[] value, Headers headers) {
        frames.pipeInput(new TestRecord<>(key, value, headers == null ? new RecordHeaders() : headers,
                Instant.now()));
    }

    private static void pipe(ProducerRecord<String, byte[]> r, TestInputTopic<String, byte[]> topic) {
        topic.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(),
                r.timestamp() == null ? Instant.now() : Instant.ofEpochMilli(r.timestamp())));
    }

    /** Advances the wall clock (the punctuations that emit results and swap models in) until {@code done}. */
    void pumpUntil(BooleanSupplier done) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() -> {
            driver.advanceWallClockTime(Duration.ofMillis(20));
            read();
            return done.getAsBoolean();
        });
    }

    /** Reads what the topology has written since the last read. */
    void read() {
        maps.readValuesToList().forEach(v -> mapsRead.add(AnomalyMapRecord.fromJson(v)));
        deadLettersRead.addAll(deadLetters.readRecordsToList());
        alertsRead.addAll(alerts.readValuesToList());
        statusRead.addAll(status.readRecordsToList());
    }

    @Override
    public void close() {
        driver.close();
    }
}
