package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.ModelVersionStatus;
import dev.vigil.stream.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.HashSet;
import java.util.Set;

/**
 * Takes model chunks from the models topic into the task's model store; when a version is complete, reassembles it,
 * has {@link ModelLoader} verify and decode it off the stream thread, and swaps it in for the camera between two
 * frames. An activation record does the same with a version already in the store (a rollback). A chunk that
 * contradicts its version, a version that fails its checksum or the engine's checks, or an activation of a version
 * the store does not hold, goes to dead letters with the reason; the camera keeps its previous model. Each version
 * made active or refused is reported on the status topic ({@link ModelVersionStatus}): what operators see of a
 * camera's model is what this processor decided, not what the models topic asked for.
 */
final class ModelProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ModelProcessor.class);

    private final ScoringTopology.Shared shared;
    private ProcessorContext<String, byte[]> ctx;
    private DeadLetterSink deadLetters;
    private ModelStore models;
    private final Set<String> cameras = new HashSet<>();
    private final List<Loading> loading = new ArrayList<>();

    /** which records decided what, per camera: a load applies only if no later record has been applied */
    private final java.util.Map<String, Long> applied = new java.util.HashMap<>();
    private long sequence;
    /** cameras with an active version but no report yet (a store from before reports): reported at the first tick */
    private final List<String> unreported = new ArrayList<>();

    /**
     * @param explicit asked for by an activation record: applies even to a version older than the active one
     * @param shadow   a candidate, scored beside the active model
     */
    private record Loading(String camera, long version, long timestamp, CompletableFuture<CameraModel> model,
                           boolean explicit, long sequence, boolean shadow) {
    }

    ModelProcessor(ScoringTopology.Shared shared) {
        this.shared = shared;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.deadLetters = new DeadLetterSink(context, shared.stats(), Topics.MODELS.name());
        this.models = new ModelStore(context.getStateStore(ModelStore.CHUNKS), context.getStateStore(ModelStore.ACTIVE),
                FrameProcessor.workDir(context));
        context.schedule(Duration.ofMillis(100), PunctuationType.WALL_CLOCK_TIME, t -> {
            reportUnreported();
            activateLoaded();
        });
        // init may not forward: the first punctuation reports these
        models.activeCameras().stream().filter(c -> models.reported(c) == null).forEach(unreported::add);
        // restarted, or the partition moved here: candidates in shadow are loaded again
        models.shadowedCameras().forEach(camera ->
                loadShadow(camera, models.shadowVersion(camera), ctx.currentSystemTimeMs()));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            // a version past the topic's retention, tombstoned by a publisher; the store keeps its own few
            return;
        }
        if (ModelRecords.isControl(record.headers())) {
            activation(record);
            return;
        }
        ModelChunk chunk;
        try {
            chunk = ModelRecords.fromParts(record.key(), record.value(), record.headers());
        } catch (IllegalArgumentException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL_CHUNK,
                    e.getMessage());
            return;
        }
        ModelStore.Outcome outcome;
        try {
            outcome = models.accept(chunk);
        } catch (IOException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL_CHUNK,
                    e.getMessage());
            return;
        }
        if (outcome == ModelStore.Outcome.COMPLETE) {
            if (chunk.version() == models.shadowVersion(chunk.camera())) {
                // a candidate published for shadow scoring: scored beside the active model, not instead of it
                loadShadow(chunk.camera(), chunk.version(), record.timestamp());
                return;
            }
            if (chunk.version() < models.activeVersion(chunk.camera())) {
                // only an activation record could make it active: decoding it now would be thrown away
                LOG.info("camera {}: model version {} stored, older than the active {}: kept for an activation",
                        chunk.camera(), chunk.version(), models.activeVersion(chunk.camera()));
                return;
            }
            load(chunk.camera(), chunk.version(), record, false);
        }
    }

    /** A control record: activation (the named stored version is swapped in, whatever its age), or shadow. */
    private void activation(Record<String, byte[]> record) {
        ModelRecords.Control a;
        try {
            a = ModelRecords.controlFromParts(record.key(), record.headers());
        } catch (IllegalArgumentException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL,
                    e.getMessage());
            return;
        }
        if (a.shadow()) {
            shadow(a, record.timestamp());
            return;
        }
        if (a.version() == models.shadowVersion(a.camera())) {
            // the candidate is promoted: it stops being a shadow
            endShadow(a.camera(), "promoted to active");
        }
        if (a.version() == models.activeVersion(a.camera())) {
            LOG.info("camera {}: activation of version {}: already active", a.camera(), a.version());
            applied.put(a.camera(), ++sequence);
            return;
        }
        if (!models.versions(a.camera()).contains(a.version())) {
            String reason = "camera " + a.camera() + ": activation of model version " + a.version() + " refused, "
                    + "version " + models.activeVersion(a.camera()) + " stays in use: this scorer holds no such "
                    + "version (it holds " + models.versions(a.camera()) + ")";
            LOG.error(reason);
            shared.stats().modelsRefused.increment();
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL, reason);
            report(status(a.camera()).refused(a.version(), reason, ctx.currentSystemTimeMs()));
            return;
        }
        LOG.info("camera {}: activating stored model version {} (was {})", a.camera(), a.version(),
                models.activeVersion(a.camera()));
        load(a.camera(), a.version(), record, true);
    }

    /** A shadow record: the camera is also scored with the candidate (once it is complete), or no longer (0). */
    private void shadow(ModelRecords.Control a, long timestamp) {
        if (a.version() <= 0) {
            endShadow(a.camera(), "asked");
            return;
        }
        if (a.version() == models.activeVersion(a.camera())) {
            LOG.info("camera {}: shadow of version {} ignored: it is the active one", a.camera(), a.version());
            return;
        }
        endShadow(a.camera(), "replaced by version " + a.version());
        models.shadow(a.camera(), a.version());
        if (models.versions(a.camera()).contains(a.version())) {
            loadShadow(a.camera(), a.version(), timestamp);
        } else {
            LOG.info("camera {}: version {} will be scored in shadow once its chunks are here", a.camera(), a.version());
        }
    }

    private void endShadow(String camera, String why) {
        long version = models.shadowVersion(camera);
        if (version < 0) {
            return;
        }
        models.shadow(camera, -1);
        shared.shadows().drop(camera);
        LOG.info("camera {}: shadow scoring of version {} over ({})", camera, version, why);
    }

    private void loadShadow(String camera, long version, long timestamp) {
        ModelStore.Assembled assembled;
        try {
            assembled = models.assemble(camera, version);
        } catch (IOException e) {
            LOG.error("camera {}: version {} cannot be scored in shadow: {}", camera, version, e.getMessage());
            return;
        }
        cameras.add(camera);
        loading.add(new Loading(camera, version, timestamp, shared.loader().load(camera, version, assembled), true,
                ++sequence, true));
    }

    /** Reassembles a complete version and starts its check and decoding off the stream thread. */
    private void load(String camera, long version, Record<String, byte[]> last, boolean explicit) {
        ModelStore.Assembled assembled;
        try {
            assembled = models.assemble(camera, version);
        } catch (IOException e) {
            if (explicit) {
                // an activation of a version still arriving must not throw away the chunks it has
                LOG.error("camera {}: activation of model version {} refused: {}", camera, version, e.getMessage());
                shared.stats().modelsRefused.increment();
                refuse(last.key(), last.value(), last.timestamp(), last.headers(), DeadLetters.Kind.MODEL,
                        e.getMessage());
                report(status(camera).refused(version, "activation refused: " + e.getMessage(),
                        ctx.currentSystemTimeMs()));
            } else {
                refuseModel(camera, version, last.timestamp(), e.getMessage());
            }
            return;
        }
        CompletableFuture<CameraModel> model = shared.loader().load(camera, version, assembled);
        if (shared.models().get(camera) == null) {
            // a camera's first model: its frames wait for it instead of going unscored
            shared.loading().put(camera, model);
        }
        cameras.add(camera);
        loading.add(new Loading(camera, version, last.timestamp(), model, explicit, ++sequence, false));
    }

    /** Swaps in the models whose loading finished; refuses those that failed. Runs on the stream thread. */
    private void activateLoaded() {
        for (var it = loading.iterator(); it.hasNext(); ) {
            Loading l = it.next();
            if (!l.model().isDone()) {
                continue;
            }
            it.remove();
            shared.loading().remove(l.camera(), l.model());
            CameraModel model;
            try {
                model = l.model().join();
            } catch (RuntimeException e) {
                if (l.shadow()) {
                    LOG.error("camera {}: version {} cannot be scored in shadow: {}", l.camera(), l.version(),
                            ModelLoader.reason(e));
                    models.shadow(l.camera(), -1);
                    report(status(l.camera()).refused(l.version(), "not scored in shadow: " + ModelLoader.reason(e),
                            ctx.currentSystemTimeMs()));
                    continue;
                }
                refuseModel(l.camera(), l.version(), l.timestamp(), ModelLoader.reason(e));
                continue;
            }
            if (l.shadow()) {
                if (models.shadowVersion(l.camera()) == l.version()) {
                    shared.shadows().activate(model);
                    shared.stats().shadowsLoaded.increment();
                    LOG.info("camera {}: version {} scored in shadow beside version {} (threshold {})", l.camera(),
                            l.version(), models.activeVersion(l.camera()), model.threshold());
                } else {
                    model.release();
                }
                continue;
            }
            if (l.sequence() < applied.getOrDefault(l.camera(), 0L)
                    || !l.explicit() && l.version() <= models.activeVersion(l.camera())) {
                // a later record (a newer version, an activation) was applied first
                model.release();
                continue;
            }
            applied.put(l.camera(), l.sequence());
            shared.models().activate(model);
            models.activate(l.camera(), l.version());
            report(status(l.camera()).accepted(l.version(), ctx.currentSystemTimeMs()));
            cameras.add(l.camera());
            shared.stats().modelsLoaded.increment();
            LOG.info("camera {}: model version {} active ({}, d={}, threshold {})", l.camera(), l.version(),
                    model.info().backboneName(), model.info().features(), model.threshold());
        }
    }

    private void refuseModel(String camera, long version, long timestamp, String reason) {
        models.discard(camera, version);
        shared.stats().modelsRefused.increment();
        LOG.error("camera {}: model version {} refused, the previous model stays in use: {}", camera, version, reason);
        refuse(camera, reason.getBytes(StandardCharsets.UTF_8), timestamp, null, DeadLetters.Kind.MODEL, reason);
        report(status(camera).refused(version, reason, ctx.currentSystemTimeMs()));
    }

    /** What was last reported of the camera's versions, or, before any report, its active version alone. */
    private ModelVersionStatus status(String camera) {
        ModelVersionStatus s = models.reported(camera);
        return s != null ? s
                : ModelVersionStatus.initial(camera, models.activeVersion(camera), ctx.currentSystemTimeMs());
    }

    /**
     * Writes the camera's version status to the status topic, in the transaction of what decided it, and keeps it
     * in the store: the next report adds to its refusals.
     */
    private void report(ModelVersionStatus s) {
        models.reported(s);
        ctx.forward(new Record<>(ModelVersionStatus.key(s.camera()), s.toJson(), s.at()), ScoringTopology.STATUS_SINK);
    }

    private void reportUnreported() {
        if (unreported.isEmpty()) {
            return;
        }
        unreported.forEach(camera -> report(status(camera)));
        unreported.clear();
    }

    private void refuse(String key, byte[] value, long timestamp, Headers headers, DeadLetters.Kind kind,
                        String reason) {
        // a punctuation (a model that failed to load) has no record metadata: the sink names the models topic
        deadLetters.send(key, value, timestamp, headers, kind, reason);
    }

    @Override
    public void close() {
        // loads still running are dropped: their chunks stay in the store, and the next owner loads them
        loading.forEach(l -> {
            shared.loading().remove(l.camera(), l.model());
            l.model().thenAccept(CameraModel::release);
        });
        loading.clear();
        cameras.forEach(shared.models()::drop);
        cameras.forEach(shared.shadows()::drop);
    }
}
