package dev.vigil.topology;

import dev.vigil.alerting.AlertTracker;
import dev.vigil.engine.Detection;
import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.engine.Snapshots;
import dev.vigil.padim.AnomalyRegions;
import dev.vigil.stream.Alert;
import dev.vigil.stream.FrameRecords.Frame;
import dev.vigil.stream.ShadowRecord;
import dev.vigil.stream.Topics;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scored frame's alerts: advances the camera's alert state (kept in a changelogged store), emits the alert records
 * with their boxes and, for those that take one, a snapshot; scores the frame's shadow comparison when the camera has
 * a candidate. Scene-change alerts are handed back to the caller, which decides whether to learn again.
 */
final class AlertStage {
    private static final Logger LOG = LoggerFactory.getLogger(AlertStage.class);

    private final ScoringTopology.Shared shared;
    private final AlertTracker tracker;
    private final ProcessorContext<String, byte[]> ctx;
    private final KeyValueStore<String, byte[]> store;
    private final Map<String, TrackedState> trackedStates = new HashMap<>();

    AlertStage(ScoringTopology.Shared shared, ProcessorContext<String, byte[]> ctx, KeyValueStore<String, byte[]> store) {
        this.shared = shared;
        this.ctx = ctx;
        this.store = store;
        this.tracker = new AlertTracker(shared.settings().alerts(), shared.settings().sceneChange(), shared.module());
    }

    /** Emits the alerts this detection causes (and their snapshots); returns them. */
    List<Alert> emit(Frame f, Detection d, CameraModel model) {
        double threshold = model.threshold();
        List<Alert> alerts = track(f.camera(), f, d, model);
        for (Alert a : alerts) {
            if (!a.label().equals(Alert.SCENE_CHANGE) && a.type() == Alert.Type.NEW) {
                shared.stats().alertsOpened.increment();
                LOG.info("camera {}: alert {} opened at frame {} (score {} > threshold {})", a.camera(), a.id(),
                        f.seq(), String.format("%.2f", a.score()), String.format("%.2f", a.threshold()));
            }
            ctx.forward(new Record<>(f.camera(), Topics.ALERTS.write(a), f.captureMillis()),
                    ScoringTopology.ALERTS_SINK);
            if (a.takesSnapshot()) {
                byte[] jpeg = snapshot(f, d, model, threshold, a);
                if (jpeg != null) {
                    ctx.forward(new Record<>(a.snapshot(), jpeg, f.captureMillis()), ScoringTopology.SNAPSHOTS_SINK);
                }
            }
        }
        return alerts;
    }

    /**
     * The candidate's view of the frame beside the active model's, with the alerts it would have raised (tracked in
     * its own state, {@code <camera>#shadow}, and sent nowhere else).
     */
    void emitShadow(Frame f, Detection active, CameraModel activeModel, List<Alert> alerts, CameraModel candidate,
                    Detection d) {
        double threshold = activeModel.threshold();
        double candidateThreshold = candidate.threshold();
        List<Alert> shadowAlerts = track(f.camera() + "#shadow", f, d, candidate);
        ShadowRecord record = new ShadowRecord(f.camera(), f.seq(), f.captureMillis(),
                new ShadowRecord.Side(activeModel.version(), active.score(), Double.isNaN(threshold) ? null : threshold,
                        active.score() > threshold, alerts),
                new ShadowRecord.Side(candidate.version(), d.score(),
                        Double.isNaN(candidateThreshold) ? null : candidateThreshold, d.score() > candidateThreshold,
                        shadowAlerts));
        ctx.forward(new Record<>(f.camera(), Topics.SHADOW.write(record), f.captureMillis()),
                ScoringTopology.SHADOW_SINK);
    }

    /** Forgets the parsed states: a re-initialised task may have had its store rewound (an aborted transaction). */
    void reset() {
        trackedStates.clear();
    }

    /**
     * Advances the alert state kept under {@code key} (the camera's, or its candidate's) by this frame's detection,
     * and returns the alert records it produces.
     */
    private List<Alert> track(String key, Frame f, Detection d, CameraModel model) {
        double threshold = model.threshold();
        // the store is the truth across restarts; between them the parsed state is kept, so a frame costs no parse
        TrackedState tracked = trackedStates.computeIfAbsent(key, c -> {
            byte[] stored = store.get(c);
            return new TrackedState(AlertTracker.State.fromJson(stored), stored);
        });
        List<Alert> alerts = tracker.observe(tracked.state, new AlertTracker.Observation(f.camera(), f.seq(),
                        f.captureMillis(), d.score(), threshold, model.version(), f.width(), f.height()),
                () -> boxes(d, threshold, model, f));
        byte[] after = tracked.state.toJson();
        // a quiet camera's state does not change from frame to frame: no store write, no changelog record
        if (tracked.json == null || !Arrays.equals(tracked.json, after)) {
            store.put(key, after);
            tracked.json = after;
        }
        return alerts;
    }

    private List<Alert.Box> boxes(Detection d, double threshold, CameraModel model, Frame f) {
        List<Alert.Box> out = new ArrayList<>();
        for (AnomalyRegions.Region r : AnomalyRegions.find(d.map(), d.width(), d.height(), threshold,
                shared.settings().minRegionArea(), shared.settings().maxBoxes())) {
            int[] b = model.toFrame(r.x(), r.y(), r.width(), r.height(), f.width(), f.height());
            out.add(new Alert.Box(b[0], b[1], b[2], b[3], r.area(), r.peak()));
        }
        return out;
    }

    /**
     * The frame with its anomaly map and the alert's boxes over it, as a JPEG; null (logged) when it cannot be
     * drawn, which costs the alert its picture and nothing else. Only the frames that open an alert or raise its
     * peak get one, so the decoding and encoding here are rare. The frame was decoded once already, under the same
     * bounds, so it is known to fit them.
     */
    private byte[] snapshot(Frame f, Detection d, CameraModel model, double threshold, Alert a) {
        try {
            return Snapshots.draw(f.image(), f.width(), f.height(), shared.engine().maxFramePixels(), d, model,
                    threshold,
                    a.boxes().stream().map(b -> new int[]{b.x(), b.y(), b.width(), b.height()}).toList());
        } catch (IOException | RuntimeException e) {
            LOG.warn("camera {}: no snapshot for alert {}: {}", f.camera(), a.id(), e.toString());
            return null;
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
