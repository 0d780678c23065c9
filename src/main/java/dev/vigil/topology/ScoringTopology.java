package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine;
import dev.vigil.stream.Alert;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;

/**
 * The scoring topology (docs/architecture.md): frames and model chunks of the same partition meet in one task,
 * which holds that partition's cameras' models, scores their frames, and writes anomaly maps, alerts and dead
 * letters.
 *
 * <pre>
 * vigil.frames ──► score ────────► vigil.anomaly-maps
 *                    │  ├────────► vigil.alerts
 *                    │  ├────────► vigil.snapshots (a JPEG with its overlay per alert, at its peak)
 *                    │  ├────────► vigil.camera-status (learning phases)
 *                    │  └────────► vigil.shadow (a candidate model's scores beside the active one's)
 *                    │ stores: frame buffer, alert state, learning phases, model chunks, active versions
 * vigil.models ──► model-loader ─► vigil.dead-letters (and score's refusals)
 *                         └──────► vigil.camera-status (the version accepted, those refused)
 * vigil.feedback ► feedback ─────► vigil.camera-status (what each confirmation became; the refined model itself
 *                                  goes to vigil.models from the learning thread)
 * </pre>
 */
public final class ScoringTopology {
    static final String MAPS_SINK = "anomaly-maps";
    static final String ALERTS_SINK = "alerts";
    static final String DEAD_LETTER_SINK = "dead-letters";
    static final String STATUS_SINK = "camera-status";
    static final String SHADOW_SINK = "shadow";
    static final String SNAPSHOTS_SINK = "snapshots";
    /** changelog records hold model chunks and frames, up to Vigil's 8 MiB record size */
    static final Map<String, String> CHANGELOG = Map.of("max.message.bytes", String.valueOf(8 << 20));

    /** What every task of one instance shares. */
    record Shared(ScoringEngine engine, CameraModels models, CameraModels shadows, ModelLoader loader,
                  java.util.Map<String, java.util.concurrent.CompletableFuture<ScoringEngine.CameraModel>> loading,
                  ScoringSettings settings, ScoringStats stats, Alert.AnalyticsModule module,
                  KafkaConnection kafka, CameraLearner learner, CameraRefiner refiner,
                  java.util.Map<String, java.util.concurrent.CompletableFuture<Long>> fits,
                  java.util.concurrent.Executor learning, CameraAdmission admission) {
        /**
         * @param loading models being loaded for cameras that have none yet: their frames wait for them (a camera's
         *                frames and chunks are in one task, so each entry has one writer)
         * @param shadows candidate models scored beside the active ones, by camera
         * @param learner fits a camera's model at the end of its learning phase, or null: this instance learns none
         * @param refiner refines a camera's model from operators' confirmations, or null: this instance refines none
         * @param fits    fits running or done, by camera (one writer each, like {@code loading})
         * @param learning where fits and refinements run, one at a time: off the stream threads
         * @param admission the cameras this instance takes frames of, up to its limit
         */
        Shared {
        }
    }

    private ScoringTopology() {
    }

    /**
     * @param kafka    where a restarted task re-reads the frames it had taken but not emitted
     * @param learner  fits learnt models ({@link ScoringSettings#autoLearn()}), or null for none
     * @param learning where those fits run
     */
    public static Topology build(ScoringEngine engine, ScoringSettings settings, ScoringStats stats, String backbone,
                                 KafkaConnection kafka, CameraLearner learner, java.util.concurrent.Executor learning) {
        return build(engine, settings, stats, backbone, kafka, learner, null, learning);
    }

    /**
     * As {@link #build(ScoringEngine, ScoringSettings, ScoringStats, String, KafkaConnection, CameraLearner,
     * java.util.concurrent.Executor)}, refining models from operators' confirmations with {@code refiner}.
     *
     * @param refiner refines models from the feedback topic's confirmations, or null: they are refused, with a status
     */
    public static Topology build(ScoringEngine engine, ScoringSettings settings, ScoringStats stats, String backbone,
                                 KafkaConnection kafka, CameraLearner learner, CameraRefiner refiner,
                                 java.util.concurrent.Executor learning) {
        Shared shared = new Shared(engine, new CameraModels(stats.modelsHeld), new CameraModels(),
                new ModelLoader(engine, stats),
                new java.util.concurrent.ConcurrentHashMap<>(), settings, stats, new Alert.AnalyticsModule("vigil-padim",
                "PaDiM: per-patch Gaussian of normal frames, Mahalanobis distance", backbone, "0.1.0"), kafka,
                learner, refiner, new java.util.concurrent.ConcurrentHashMap<>(), learning,
                new CameraAdmission(settings.limits().maxCameras()));
        Topology t = new Topology();
        source(t, "frames", Topics.FRAMES);
        source(t, "models", Topics.MODELS);
        source(t, "feedback", Topics.FEEDBACK);
        t.addProcessor("score", () -> new FrameProcessor(shared), "frames");
        t.addProcessor("model-loader", () -> new ModelProcessor(shared), "models");
        t.addProcessor("refine", () -> new FeedbackProcessor(shared), "feedback");
        t.addStateStore(store(Stores.persistentKeyValueStore(ModelStore.CHUNKS)), "score", "model-loader");
        t.addStateStore(store(Stores.persistentKeyValueStore(ModelStore.ACTIVE)), "score", "model-loader");
        // where the frames being scored are on the frames topic (a few bytes each, not the frames): memory suffices,
        // the changelog restores them after a crash
        t.addStateStore(store(Stores.inMemoryKeyValueStore(FrameProcessor.BUFFER)), "score");
        t.addStateStore(store(Stores.persistentKeyValueStore(FrameProcessor.ALERT_STATE)), "score");
        t.addStateStore(store(Stores.persistentKeyValueStore(LearningPhases.STORE)), "score");
        // confirmations taken and not yet reported: a few hundred bytes each
        t.addStateStore(store(Stores.persistentKeyValueStore(FeedbackProcessor.STORE)), "refine");
        sink(t, MAPS_SINK, Topics.ANOMALY_MAPS, "score");
        sink(t, ALERTS_SINK, Topics.ALERTS, "score");
        sink(t, SHADOW_SINK, Topics.SHADOW, "score");
        // the model loader reports which version it accepted or refused beside the learning phases' states, and
        // refine what became of each confirmation
        sink(t, STATUS_SINK, Topics.CAMERA_STATUS, "score",
                "model-loader", "refine");
        sink(t, SNAPSHOTS_SINK, Topics.SNAPSHOTS, "score");
        sink(t, DEAD_LETTER_SINK, Topics.DEAD_LETTERS,
                "score", "model-loader", "refine");
        return t;
    }

    private static void source(Topology t, String name, dev.vigil.stream.Topic<?> topic) {
        t.addSource(name, topic.keySerde().deserializer(), topic.wireSerde().deserializer(), topic.name());
    }

    private static void sink(Topology t, String name, dev.vigil.stream.Topic<?> topic, String... parents) {
        t.addSink(name, topic.name(), topic.keySerde().serializer(), topic.wireSerde().serializer(), parents);
    }

    private static StoreBuilder<KeyValueStore<String, byte[]>> store(KeyValueBytesStoreSupplier supplier) {
        return Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(CHANGELOG);
    }
}
