package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.stream.Alert;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frame processor alone, with Kafka's mock context (the first of Kafka Streams' three test tiers): what it
 * forwards for records refused at admission, before anything reaches the engine.
 */
class FrameAdmissionTest {
    @TempDir
    static Path dir;
    private static OnnxBackbone backbone;
    private static ScoringEngine engine;

    @BeforeAll
    static void start() throws Exception {
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        engine = new ScoringEngine(backbone, 4, Duration.ofMillis(5));
    }

    @AfterAll
    static void stop() throws Exception {
        engine.close();
        backbone.close();
    }

    private static FrameProcessor processor(MockProcessorContext<String, byte[]> ctx, int maxCameras) {
        ScoringSettings settings = ScoringSettings.DEFAULT.withLimits(new ScoringSettings.Limits(maxCameras, 2));
        ScoringStats stats = new ScoringStats();
        ScoringTopology.Shared shared = new ScoringTopology.Shared(engine, new CameraModels(), new CameraModels(),
                new ModelLoader(engine, stats), new ConcurrentHashMap<>(), settings, stats,
                new Alert.AnalyticsModule("test", "test", "test", "0"), null, null, null, new ConcurrentHashMap<>(),
                Runnable::run, new CameraAdmission(maxCameras));
        for (String name : List.of(FrameProcessor.BUFFER, FrameProcessor.ALERT_STATE, ModelStore.CHUNKS,
                ModelStore.ACTIVE, LearningPhases.STORE)) {
            KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                    Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
            store.init(ctx.getStateStoreContext(), store);
            ctx.addStateStore(store);
        }
        FrameProcessor p = new FrameProcessor(shared);
        p.init(ctx);
        return p;
    }

    private static RecordHeaders headers() {
        RecordHeaders h = new RecordHeaders();
        for (String[] kv : new String[][]{{"vigil.seq", "0"}, {"vigil.codec", "png"}, {"vigil.width", "8"},
                {"vigil.height", "8"}, {"vigil.source", "t"}, {"vigil.source.frame", "0"}}) {
            h.add(kv[0], kv[1].getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    @Test
    void aKeyThatIsNoCameraIdIsForwardedAsADeadLetterWithWhereItWas() {
        MockProcessorContext<String, byte[]> ctx = new MockProcessorContext<>(new Properties(), new TaskId(0, 3),
                dir.resolve("a").toFile());
        FrameProcessor p = processor(ctx, 10);
        ctx.setRecordMetadata(Topics.FRAMES.name(), 3, 77);
        p.process(new Record<>("gate\r\nforged", new byte[]{1}, 5L, headers()));

        var dead = ctx.forwarded(ScoringTopology.DEAD_LETTER_SINK);
        assertThat(dead).hasSize(1);
        var r = dead.get(0).record();
        assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON))
                .isEqualTo("frame record refused: camera id 'gate\\r\\nforged' is not 1 to 64 letters, digits, "
                        + "'.', '_' and '-', starting with a letter or digit");
        assertThat(DeadLetters.header(r.headers(), DeadLetters.PARTITION)).isEqualTo("3");
        assertThat(DeadLetters.header(r.headers(), DeadLetters.OFFSET)).isEqualTo("77");
        assertThat(DeadLetters.header(r.headers(), "vigil.codec")).isEqualTo("png");
        assertThat(ctx.forwarded()).hasSize(1);
        p.close();
    }

    @Test
    void aNewCameraPastTheLimitIsRefused() {
        MockProcessorContext<String, byte[]> ctx = new MockProcessorContext<>(new Properties(), new TaskId(0, 1),
                dir.resolve("b").toFile());
        FrameProcessor p = processor(ctx, 1);
        ctx.setRecordMetadata(Topics.FRAMES.name(), 1, 0);
        // no model: counted, not scored, and not refused
        p.process(new Record<>("gate", new byte[]{1}, 5L, headers()));
        assertThat(ctx.forwarded()).isEmpty();
        ctx.setRecordMetadata(Topics.FRAMES.name(), 1, 1);
        p.process(new Record<>("dock", new byte[]{1}, 6L, headers()));
        var dead = ctx.forwarded(ScoringTopology.DEAD_LETTER_SINK);
        assertThat(dead).hasSize(1);
        assertThat(DeadLetters.header(dead.get(0).record().headers(), DeadLetters.REASON))
                .isEqualTo("frame 0 of camera dock refused: this instance already scores 1 cameras (--max-cameras)");
        p.close();
    }
}
