package dev.vigil.topology;

import dev.vigil.alerting.AlertTracker;
import dev.vigil.engine.Detection;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.padim.AnomalyRegions;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.FrameRecords.Frame;
import dev.vigil.stream.ShadowRecord;
import dev.vigil.stream.Topics;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Scores one task's frames: checks each frame record (a malformed one goes to dead letters with the reason), hands
 * its encoded image to the shared {@link ScoringEngine} (which decodes it off this thread; an undecodable one also
 * becomes a dead letter), and emits results in arrival order: one anomaly-map record per
 * frame, and the alert records the frame causes. A frame is kept in a changelogged buffer store from the moment
 * it is taken until its result is emitted, in the same transaction; so under exactly-once processing a crash
 * neither loses a frame nor emits one twice, however the engine batches. The store holds each frame's offset on the
 * frames topic, not the frame: a restarted task re-reads those frames ({@link FrameRefetch}), and the changelog
 * carries a few bytes per frame instead of a copy of every image.
 */
final class FrameProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(FrameProcessor.class);
    static final String BUFFER = "vigil-frame-buffer";
    static final String ALERT_STATE = "vigil-alert-state";

    /**
     * @param shadow     a candidate's model and its result for the same frame, or null
     * @param takenNanos when the frame was taken (System.nanoTime), for the scoring-latency histogram
     */
    private record Pending(String key, Frame frame, long offset, CompletableFuture<CameraModel> model,
                           CompletableFuture<Detection> result, Shadow shadow, long takenNanos) {
    }

    private record Shadow(CameraModel model, CompletableFuture<Detection> result) {
    }

    private final ScoringTopology.Shared shared;
    private final AlertTracker tracker;
    private ProcessorContext<String, byte[]> ctx;
    private KeyValueStore<String, byte[]> buffer;
    private KeyValueStore<String, byte[]> alertState;
    private ModelStore models;
    private LearningPhases learning;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    private final Set<String> cameras = new HashSet<>();
    /** per camera whose model is loading, the last frame held back (queued once the one before it is) */
    private final Map<String, CompletableFuture<?>> heldBack = new HashMap<>();
    private final Map<String, TrackedState> trackedStates = new HashMap<>();
    private long nextKey;

    FrameProcessor(ScoringTopology.Shared shared) {
        this.shared = shared;
        this.tracker = new AlertTracker(shared.settings().alerts(), shared.settings().sceneChange(), shared.module());
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.buffer = context.getStateStore(BUFFER);
        this.alertState = context.getStateStore(ALERT_STATE);
        // a re-initialised task may have had its stores rewound (an aborted transaction): read them afresh
        trackedStates.clear();
        this.models = new ModelStore(context.getStateStore(ModelStore.CHUNKS), context.getStateStore(ModelStore.ACTIVE),
                workDir(context));
        this.learning = new LearningPhases(shared, context);
        // frames taken but not emitted before a restart or a move of this task: score them first, in order
        List<KeyValue<String, byte[]>> left = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = buffer.all()) {
            it.forEachRemaining(left::add);
        }
        if (!left.isEmpty()) {
            Map<Long, Frame> frames = FrameRefetch.read(shared.kafka(), context.taskId().partition(),
                    left.stream().map(kv -> offset(kv.value)).toList());
            for (KeyValue<String, byte[]> kv : left) {
                nextKey = Math.max(nextKey, Long.parseLong(kv.key) + 1);
                Frame f = frames.get(offset(kv.value));
                // counted toward a learning phase when first taken: not again
                if (f == null || !submit(kv.key, f, offset(kv.value), false)) {
                    if (f == null) {
                        LOG.error("task {}: frame at offset {} of {} is no longer on the topic (retention): not scored",
                                context.taskId(), offset(kv.value), Topics.FRAMES.name());
                    }
                    buffer.delete(kv.key);
                }
            }
            LOG.info("task {}: resuming {} frames taken before a restart", context.taskId(), left.size());
        }
        context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, t -> drain(false));
    }

    private static long offset(byte[] ref) {
        return Long.parseLong(new String(ref, java.nio.charset.StandardCharsets.UTF_8));
    }

    static Path workDir(ProcessorContext<?, ?> context) {
        return context.stateDir().toPath().resolve("vigil-models");
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Frame f;
        try {
            f = FrameRecords.fromParts(record.key(), record.value(), record.timestamp(), record.headers());
        } catch (IllegalArgumentException e) {
            deadLetter(record.key(), record.value(), record.timestamp(), record.headers(), e.getMessage());
            return;
        }
        if (f.live() && System.currentTimeMillis() - f.captureMillis() > shared.settings().maxLiveAge().toMillis()) {
            shared.stats().skippedLate.increment();
            return;
        }
        shared.stats().frameIn(f.camera());
        String key = String.format("%019d", nextKey++);
        long offset = ctx.recordMetadata().map(m -> m.offset()).orElseThrow();
        // the frame itself stays on the frames topic: the buffer keeps where it is, for a restart to re-read it
        buffer.put(key, Long.toString(offset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (!submit(key, f, offset, true)) {
            buffer.delete(key);
        }
        drain(false);
        while (inFlight.size() >= shared.settings().maxInFlight()) {
            drain(true);
        }
    }

    /**
     * Queues a frame for decoding and scoring; false when it was dealt with at once (no model).
     *
     * @param learn whether the frame counts toward the camera's learning phase (not when it is taken again)
     */
    private boolean submit(String key, Frame f, long offset, boolean learn) {
        CompletableFuture<CameraModel> model = modelFor(f.camera());
        if (learn && model == null && learning.enabled()) {
            // a camera with a model counts toward a learning phase when its result is emitted (in order, in the
            // transaction of its map); one without is never emitted, so it counts here
            learning.observe(f, offset, -1);
        }
        if (model == null) {
            long n = shared.stats().noModel(f.camera());
            if (!learning.learning(f.camera()) && (n == 1 || n % 100 == 0)) {
                LOG.warn("camera {}: no model yet, {} frames not scored (publish one with `vigil model publish`)",
                        f.camera(), n);
            }
            return false;
        }
        // a model still loading holds its frames back, in order, rather than drop them: each held frame is queued
        // after the one before it (a future's dependents run in no set order), as the motion stream needs them
        CompletableFuture<Detection> result;
        try {
            CompletableFuture<?> before = heldBack.get(f.camera());
            if (before != null && before.isDone()) {
                heldBack.remove(f.camera());
                before = null;
            }
            if (before == null && model.isDone() && !model.isCompletedExceptionally()) {
                result = shared.engine().submit(model.join(), f.image(), f.width(), f.height(), f.seq(),
                        f.captureMillis());
            } else {
                CompletableFuture<CameraModel> ready = before == null ? model
                        : before.handle((x, e) -> null).thenCompose(x -> model);
                CompletableFuture<CompletableFuture<Detection>> queued = ready.thenApply(m ->
                        shared.engine().submit(m, f.image(), f.width(), f.height(), f.seq(), f.captureMillis()));
                heldBack.put(f.camera(), queued);
                result = queued.thenCompose(r -> r);
            }
        } catch (IllegalStateException e) {
            // the engine is closing, or the model was released under us: this frame is not lost, it is reported
            deadLetter(f, "frame " + f.seq() + " of camera " + f.camera() + " could not be queued: " + e.getMessage());
            return false;
        }
        inFlight.add(new Pending(key, f, offset, model, result, shadow(f), System.nanoTime()));
        return true;
    }

    /** The frame scored by the camera's candidate in shadow too, or null when it has none. */
    private Shadow shadow(Frame f) {
        CameraModel candidate = shared.shadows().get(f.camera());
        if (candidate == null) {
            return null;
        }
        try {
            return new Shadow(candidate, shared.engine().submit(candidate, f.image(), f.width(), f.height(), f.seq(),
                    f.captureMillis()));
        } catch (IllegalStateException e) {
            // the candidate was released (shadowing ended) under us: this frame is simply not compared
            return null;
        }
    }

    /** The camera's model, possibly still loading; null when it has none (or its stored one failed to load). */
    private CompletableFuture<CameraModel> modelFor(String camera) {
        CameraModel model = shared.models().get(camera);
        if (model != null) {
            cameras.add(camera);
            shared.loading().remove(camera);
            return CompletableFuture.completedFuture(model);
        }
        CompletableFuture<CameraModel> pending = shared.loading().get(camera);
        if (pending != null && !pending.isCompletedExceptionally()) {
            return pending;
        }
        long version = models.activeVersion(camera);
        if (version < 0 || pending != null) {
            return null;
        }
        // restarted, or the camera's partition moved here: the model is in the store, not yet decoded
        ModelStore.Assembled assembled;
        try {
            assembled = models.assemble(camera, version);
        } catch (IOException e) {
            LOG.error("camera {}: stored model version {} cannot be used: {}", camera, version, e.getMessage());
            shared.loading().put(camera, CompletableFuture.failedFuture(e));
            return null;
        }
        cameras.add(camera);
        CompletableFuture<CameraModel> load = shared.loader().load(camera, version, assembled).whenComplete((m, e) -> {
            if (e != null) {
                LOG.error("camera {}: stored model version {} cannot be used: {}", camera, version,
                        ModelLoader.reason(e));
            } else {
                shared.models().activate(m);
                shared.stats().modelsLoaded.increment();
                LOG.info("camera {}: model version {} loaded from the state store", camera, version);
            }
        });
        shared.loading().put(camera, load);
        return load;
    }

    /** Emits finished frames in order; with {@code block}, waits for the oldest one first. */
    private void drain(boolean block) {
        while (!inFlight.isEmpty()) {
            Pending p = inFlight.peek();
            if (!p.result().isDone()) {
                if (!block) {
                    return;
                }
                block = false;
                try {
                    p.result().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (ExecutionException e) {
                    // emitted as a dead letter below
                }
            }
            inFlight.poll();
            emit(p);
            buffer.delete(p.key());
        }
    }

    private void emit(Pending p) {
        Frame f = p.frame();
        Detection d;
        try {
            d = p.result().get();
        } catch (ExecutionException | InterruptedException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            deadLetter(f, cause instanceof dev.vigil.media.MediaException
                    ? "undecodable frame " + f.seq() + " of camera " + f.camera() + ": " + cause.getMessage()
                    : "scoring frame " + f.seq() + " of camera " + f.camera() + " failed: " + cause);
            return;
        }
        CameraModel model = p.model().join();
        if (learning.learning(f.camera())) {
            learning.observe(f, p.offset(), models.activeVersion(f.camera()));
        }
        double threshold = model.threshold();
        long now = System.currentTimeMillis();
        AnomalyMapRecord map = new AnomalyMapRecord(f.camera(), f.seq(), f.captureMillis(), d.score(),
                Double.isNaN(threshold) ? null : threshold, d.score() > threshold, model.version(),
                new AnomalyMapRecord.FrameRef(f.width(), f.height(), f.source(), f.sourceFrame(), f.codec()), now,
                AnomalyMapRecord.EncodedMap.encode(d.map(), d.width(), d.height(),
                        model.mapStep()));
        ctx.forward(new Record<>(f.camera(), map.toJson(), f.captureMillis()), ScoringTopology.MAPS_SINK);
        shared.stats().scored(f.camera());
        shared.stats().frameOut(f.camera(), System.nanoTime() - p.takenNanos());
        if (f.live()) {
            // replayed footage carries the video's own clock (ahead of now at --speed 2): no latency to speak of
            shared.stats().latency(now - f.captureMillis());
        }

        List<Alert> alerts = track(f.camera(), f, d, model);
        if (p.shadow() != null) {
            emitShadow(p, d, model, threshold, alerts);
        }
        for (Alert a : alerts) {
            if (a.label().equals(Alert.SCENE_CHANGE)) {
                LOG.warn("camera {}: scene change {} at frame {}{}", a.camera(), a.type().equals("new")
                                ? "detected (most of its last frames above threshold)" : "over", f.seq(),
                        a.type().equals("new") && shared.settings().relearnOnSceneChange() ? ": learning again" : "");
                if (a.type().equals("new") && shared.settings().relearnOnSceneChange()) {
                    learning.start(f, p.offset(), model.version(), "scene change");
                }
            } else if (a.type().equals("new")) {
                shared.stats().alertsOpened.increment();
                LOG.info("camera {}: alert {} opened at frame {} (score {} > threshold {})", a.camera(), a.id(),
                        f.seq(), String.format("%.2f", a.score()), String.format("%.2f", a.threshold()));
            }
            ctx.forward(new Record<>(f.camera(), a.toJson(), f.captureMillis()), ScoringTopology.ALERTS_SINK);
            if (a.takesSnapshot()) {
                byte[] jpeg = snapshot(f, d, model, threshold, a);
                if (jpeg != null) {
                    ctx.forward(new Record<>(a.snapshot(), jpeg, f.captureMillis()), ScoringTopology.SNAPSHOTS_SINK);
                }
            }
        }
    }

    /**
     * The frame with its anomaly map and the alert's boxes over it, as a JPEG; null (logged) when it cannot be
     * drawn, which costs the alert its picture and nothing else. Only the frames that open an alert or raise its
     * peak get one, so the decoding and encoding here are rare.
     */
    private static byte[] snapshot(Frame f, Detection d, CameraModel model, double threshold, Alert a) {
        try {
            dev.vigil.media.RgbImage frame = dev.vigil.media.FrameCodec.decode(f.image());
            int[] region = model.preprocessing().toFrame(0, 0, d.width(), d.height(), frame.width(), frame.height());
            // as the demo's overlays: threshold mid-scale, twice the threshold red
            float vmax = (float) (Double.isNaN(threshold) ? d.score() : 2 * threshold);
            dev.vigil.media.RgbImage drawn = dev.vigil.media.HeatOverlay.draw(frame, d.map(), d.width(), d.height(),
                    region, vmax, a.boxes().stream().map(b -> new int[]{b.x(), b.y(), b.width(), b.height()}).toList());
            return dev.vigil.media.FrameCodec.DEFAULT.encode(drawn);
        } catch (IOException | RuntimeException e) {
            LOG.warn("camera {}: no snapshot for alert {}: {}", f.camera(), a.id(), e.toString());
            return null;
        }
    }

    /**
     * The candidate's view of the frame beside the active model's, with the alerts it would have raised (tracked in
     * its own state, {@code <camera>#shadow}, and sent nowhere else).
     */
    private void emitShadow(Pending p, Detection active, CameraModel activeModel, double threshold, List<Alert> alerts) {
        Frame f = p.frame();
        Detection d;
        try {
            d = p.shadow().result().get();
        } catch (ExecutionException | InterruptedException e) {
            LOG.debug("camera {}: frame {} not scored in shadow: {}", f.camera(), f.seq(), e.toString());
            return;
        }
        CameraModel candidate = p.shadow().model();
        double candidateThreshold = candidate.threshold();
        List<Alert> shadowAlerts = track(f.camera() + "#shadow", f, d, candidate);
        ShadowRecord record = new ShadowRecord(f.camera(), f.seq(), f.captureMillis(),
                new ShadowRecord.Side(activeModel.version(), active.score(), Double.isNaN(threshold) ? null : threshold,
                        active.score() > threshold, alerts),
                new ShadowRecord.Side(candidate.version(), d.score(),
                        Double.isNaN(candidateThreshold) ? null : candidateThreshold, d.score() > candidateThreshold,
                        shadowAlerts));
        ctx.forward(new Record<>(f.camera(), record.toJson(), f.captureMillis()), ScoringTopology.SHADOW_SINK);
    }

    /**
     * Advances the alert state kept under {@code key} (the camera's, or its candidate's) by this frame's detection,
     * and returns the alert records it produces.
     */
    private List<Alert> track(String key, Frame f, Detection d, CameraModel model) {
        double threshold = model.threshold();
        // the store is the truth across restarts; between them the parsed state is kept, so a frame costs no parse
        TrackedState tracked = trackedStates.computeIfAbsent(key, c -> {
            byte[] stored = alertState.get(c);
            return new TrackedState(AlertTracker.State.fromJson(stored), stored);
        });
        List<Alert> alerts = tracker.observe(tracked.state, new AlertTracker.Observation(f.camera(), f.seq(),
                f.captureMillis(), d.score(), threshold, model.version(), f.width(), f.height()),
                () -> boxes(d, threshold, model, f));
        byte[] after = tracked.state.toJson();
        // a quiet camera's state does not change from frame to frame: no store write, no changelog record
        if (tracked.json == null || !java.util.Arrays.equals(tracked.json, after)) {
            alertState.put(key, after);
            tracked.json = after;
        }
        return alerts;
    }

    private List<Alert.Box> boxes(Detection d, double threshold, CameraModel model, Frame f) {
        List<Alert.Box> out = new ArrayList<>();
        for (AnomalyRegions.Region r : AnomalyRegions.find(d.map(), d.width(), d.height(), threshold,
                shared.settings().minRegionArea(), shared.settings().maxBoxes())) {
            int[] b = model.preprocessing().toFrame(r.x(), r.y(), r.width(), r.height(), f.width(), f.height());
            out.add(new Alert.Box(b[0], b[1], b[2], b[3], r.area(), r.peak()));
        }
        return out;
    }

    private void deadLetter(Frame f, String reason) {
        var rec = FrameRecords.toRecord(f);
        deadLetter(f.camera(), f.image(), f.captureMillis(), rec.headers(), reason);
    }

    private void deadLetter(String key, byte[] value, long timestamp, org.apache.kafka.common.header.Headers headers,
                            String reason) {
        var meta = ctx.recordMetadata();
        LOG.warn("dead letter: {}", reason);
        ctx.forward(new Record<>(key, value, timestamp, DeadLetters.headers(headers, DeadLetters.Kind.FRAME, reason,
                meta.map(m -> m.topic()).orElse(Topics.FRAMES.name()), meta.map(m -> m.partition()).orElse(-1),
                meta.map(m -> m.offset()).orElse(-1L))), ScoringTopology.DEAD_LETTER_SINK);
        shared.stats().deadLetters.increment();
    }

    @Override
    public void close() {
        // frames still in flight stay in the buffer store: the task's next owner scores them
        inFlight.clear();
        for (String camera : cameras) {
            shared.models().drop(camera);
            // a load this task started must not hand a released model to the camera's next owner on this instance
            shared.loading().remove(camera);
        }
    }

    /** A camera's alert state as parsed, and the JSON last written to the store for it. */
    private static final class TrackedState {
        final AlertTracker.State state;
        byte[] json;

        TrackedState(AlertTracker.State state, byte[] json) {
            this.state = state;
            this.json = json;
        }
    }
}
