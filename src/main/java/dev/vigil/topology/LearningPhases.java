package dev.vigil.topology;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.FrameRecords.Frame;
import dev.vigil.stream.ModelStatus;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The learning phases of one task's cameras: a camera with no model (when {@link AutoLearning} is on), or one whose
 * scene changed for good, counts its frames as they pass (sampled), and once the phase is complete its model is
 * fitted on those same frames, re-read from the frames topic by a {@link CameraLearner} off the stream thread, and
 * published as a new version; the topology loads it like any other, and the phase ends when a version newer than
 * the one it started from is active.
 * <p>
 * A phase is a few numbers in a changelogged store (offsets, counts, times), not running sums: a restarted or moved
 * task carries on counting where the phase stood, and a phase that was fitting is fitted again from the topic. A model
 * exists only once a fit completed, so nothing ever scores with a half-learnt one. Progress goes to the camera
 * status topic ({@link ModelStatus}) and to the log.
 */
final class LearningPhases {
    private static final Logger LOG = LoggerFactory.getLogger(LearningPhases.class);
    static final String STORE = "vigil-learning";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** progress is reported every 5 % of the phase */
    private static final int PROGRESS_STEPS = 20;

    /** One camera's phase, as stored (JSON). */
    static final class Phase {
        public boolean fitting;
        @JsonProperty("base_version")
        public long baseVersion = -1;
        public String reason;
        public int partition;
        @JsonProperty("first_offset")
        public long firstOffset = -1;
        @JsonProperty("last_offset")
        public long lastOffset = -1;
        @JsonProperty("first_ms")
        public long firstMillis;
        @JsonProperty("last_ms")
        public long lastMillis;
        public long kept;
        @JsonProperty("started_at")
        public long startedAt;
        public int reported;

        /** A phase with no frame kept yet. */
        static Phase begin(long baseVersion, String reason, int partition, long now) {
            Phase p = new Phase();
            p.baseVersion = baseVersion;
            p.reason = reason;
            p.partition = partition;
            p.startedAt = now;
            return p;
        }
    }

    private final ScoringTopology.Shared shared;
    private final AutoLearning settings;
    private final ProcessorContext<String, byte[]> ctx;
    private final KeyValueStore<String, byte[]> store;
    private final Map<String, Phase> phases = new HashMap<>();

    LearningPhases(ScoringTopology.Shared shared, ProcessorContext<String, byte[]> ctx) {
        this.shared = shared;
        this.settings = shared.settings().autoLearn();
        this.ctx = ctx;
        this.store = ctx.getStateStore(STORE);
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                phases.put(kv.key, read(kv.value));
            }
        }
        if (!enabled() && !phases.isEmpty()) {
            // a phase needs its length and a learner: without them it could never end
            for (String camera : phases.keySet()) {
                LOG.warn("camera {}: learning phase dropped: this scorer does not learn (no --auto-learn-frames or "
                        + "--auto-learn-for)", camera);
                store.delete(camera);
            }
            phases.clear();
        }
        for (Map.Entry<String, Phase> e : phases.entrySet()) {
            Phase p = e.getValue();
            LOG.info("camera {}: learning phase resumed ({} frames kept{})", e.getKey(), p.kept,
                    p.fitting ? ", fitting" : "");
            if (p.fitting) {
                fit(e.getKey(), p);
            }
        }
    }

    /** Whether cameras with no model learn one (the scorer was given a learner and a phase length). */
    boolean enabled() {
        return settings != null && shared.learner() != null;
    }

    boolean learning(String camera) {
        return phases.containsKey(camera);
    }

    /**
     * Starts a phase at this frame (re-learning after a scene change; the camera goes on scoring with its current
     * model meanwhile). Nothing happens when the camera is learning already or learning is off.
     */
    void start(Frame f, long offset, long baseVersion, String reason) {
        if (!enabled() || phases.containsKey(f.camera())) {
            return;
        }
        Phase p = Phase.begin(baseVersion, reason, ctx.taskId().partition(), ctx.currentSystemTimeMs());
        phases.put(f.camera(), p);
        LOG.info("camera {}: learning phase started ({}): {}{}", f.camera(), reason,
                settings.frames() > 0 ? settings.frames() + " frames" : "",
                settings.span() != null ? (settings.frames() > 0 ? " and " : "") + settings.span() : "");
        keep(f, offset, p);
    }

    /**
     * A frame of a camera that is learning, or that has no model: counted toward the phase when the sampling keeps
     * it. Ends the phase once a newer model than the one it started from is active.
     *
     * @param activeVersion the camera's active model version, or -1 when none
     */
    void observe(Frame f, long offset, long activeVersion) {
        Phase p = phases.get(f.camera());
        if (p == null) {
            if (activeVersion < 0) {
                start(f, offset, -1, "no model");
            }
            return;
        }
        if (activeVersion > p.baseVersion) {
            finish(f.camera(), p, activeVersion);
            return;
        }
        if (!p.fitting) {
            long gap = settings.gapMillis();
            if (gap == 0 || f.captureMillis() - p.lastMillis >= gap) {
                keep(f, offset, p);
            }
            return;
        }
        CompletableFuture<Long> fit = shared.fits().get(f.camera());
        if (fit == null) {
            // the task moved here, or its fit was lost with a restart: fit again, from the topic
            fit(f.camera(), p);
        } else if (fit.isCompletedExceptionally()) {
            shared.fits().remove(f.camera());
            String reason = reason(fit);
            LOG.error("camera {}: fitting its learnt model failed, learning again from frame {}: {}", f.camera(),
                    f.seq(), reason);
            status(f.camera(), ModelStatus.FAILED, p, reason);
            Phase again = Phase.begin(p.baseVersion, p.reason, p.partition, ctx.currentSystemTimeMs());
            phases.put(f.camera(), again);
            keep(f, offset, again);
        }
    }

    private void keep(Frame f, long offset, Phase p) {
        if (p.kept == 0) {
            p.firstOffset = offset;
            p.firstMillis = f.captureMillis();
        }
        p.kept++;
        p.lastOffset = offset;
        p.lastMillis = f.captureMillis();
        if (settings.complete(p.kept, p.firstMillis, p.lastMillis)) {
            p.fitting = true;
            LOG.info("camera {}: learning phase complete ({} frames, {} s of capture time): fitting", f.camera(),
                    p.kept, (p.lastMillis - p.firstMillis) / 1000);
            status(f.camera(), ModelStatus.FITTING, p, p.reason);
            save(f.camera(), p);
            fit(f.camera(), p);
            return;
        }
        int step = (int) Math.min(PROGRESS_STEPS, Math.floor(progress(p) * PROGRESS_STEPS));
        if (p.kept == 1 || step > p.reported) {
            p.reported = step;
            status(f.camera(), ModelStatus.LEARNING, p, p.reason);
            if (p.kept > 1) {
                LOG.info("camera {}: learning, {} frames kept ({} %)", f.camera(), p.kept, step * 100 / PROGRESS_STEPS);
            }
        }
        save(f.camera(), p);
    }

    /** How far the phase is, 0-1: the lesser of its targets' shares. */
    private double progress(Phase p) {
        double byFrames = settings.frames() > 0 ? (double) p.kept / settings.frames() : 1;
        double byTime = settings.span() != null ? (double) (p.lastMillis - p.firstMillis) / settings.span().toMillis() : 1;
        return Math.min(byFrames, byTime);
    }

    private void fit(String camera, Phase p) {
        if (shared.fits().containsKey(camera)) {
            return;
        }
        CameraLearner learner = shared.learner();
        long from = p.firstOffset;
        long to = p.lastOffset;
        int partition = p.partition;
        double fps = settings.sampleFps();
        CompletableFuture<Long> fit = CompletableFuture.supplyAsync(() -> {
            try {
                return learner.learn(camera, partition, from, to, fps);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, shared.learning());
        fit.whenComplete((version, e) -> {
            if (e == null) {
                shared.stats().modelsLearnt.increment();
                LOG.info("camera {}: learnt model published as version {}", camera, version);
            }
        });
        shared.fits().put(camera, fit);
    }

    private void finish(String camera, Phase p, long version) {
        phases.remove(camera);
        store.delete(camera);
        shared.fits().remove(camera);
        LOG.info("camera {}: learning phase over, scoring with model version {}", camera, version);
        status(camera, ModelStatus.SCORING, p, null, version);
    }

    private void status(String camera, String state, Phase p, String reason) {
        status(camera, state, p, reason, p.baseVersion >= 0 ? p.baseVersion : null);
    }

    private void status(String camera, String state, Phase p, String reason, Long version) {
        long now = ctx.currentSystemTimeMs();
        ModelStatus s = new ModelStatus(camera, ModelStatus.KIND, state, p.kept, settings.frames(),
                Math.max(0, p.lastMillis - p.firstMillis), settings.span() == null ? 0 : settings.span().toMillis(),
                version, reason, now);
        ctx.forward(new Record<>(ModelStatus.key(camera), s.toJson(), now), ScoringTopology.STATUS_SINK);
    }

    private void save(String camera, Phase p) {
        try {
            store.put(camera, JSON.writeValueAsBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Phase read(byte[] value) {
        try {
            return JSON.readValue(value, Phase.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("learning phase state is damaged: " + e.getMessage(), e);
        }
    }

    private static String reason(CompletableFuture<?> failed) {
        try {
            failed.join();
            return "?";
        } catch (CompletionException e) {
            Throwable cause = e;
            while ((cause instanceof CompletionException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return cause.getMessage() != null ? cause.getMessage() : cause.toString();
        }
    }
}
