package dev.vigil.alerting;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.Alert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One camera's alert lifecycle with hysteresis: an alert opens after {@code openAfter} consecutive frames above the
 * threshold, sends updates while it lasts (new peak, or every {@code updateEvery} frames), and ends after
 * {@code closeAfter} consecutive frames below; then nothing opens for {@code cooldown} frames. Single frames above
 * threshold (noise) never open an alert, and a short dip never splits one. The state is a plain value, kept in a
 * state store between frames, so a restarted scorer carries on the same alert.
 */
public final class AlertTracker {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One scored frame as the tracker sees it. */
    public record Observation(String camera, long seq, long timestamp, double score, double threshold,
                              long modelVersion, int frameWidth, int frameHeight) {
    }

    /** A camera's tracking state (mutable, serialised as JSON). */
    public static final class State {
        public int above;
        public int below;
        public int cooldown;
        public long runStartSeq = -1;
        public long runStartTime;
        public String openId;
        public long startSeq;
        public long startTime;
        public long lastAboveSeq;
        public long lastAboveTime;
        public double peak;
        public long peakSeq;
        public double sentPeak;
        public long lastSentSeq;
        public int frames;
        public List<Alert.Box> peakBoxes = List.of();
        /** moving share of frames above threshold, for scene changes */
        public double sceneShare;
        public int sceneFrames;
        public long sceneModel = -1;
        public String sceneId;
        public long sceneStartSeq;
        public long sceneStartTime;
        public int sceneLasted;

        public byte[] toJson() {
            try {
                return JSON.writeValueAsBytes(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public static State fromJson(byte[] value) {
            if (value == null) {
                return new State();
            }
            try {
                return JSON.readValue(value, State.class);
            } catch (IOException e) {
                throw new IllegalArgumentException("alert state is damaged: " + e.getMessage(), e);
            }
        }

        public boolean open() {
            return openId != null;
        }

        /** Back to no alert, with a cooldown. */
        void reset(int cooldownFrames) {
            above = 0;
            below = 0;
            cooldown = cooldownFrames;
            runStartSeq = -1;
            openId = null;
            peak = 0;
            sentPeak = 0;
            frames = 0;
            peakBoxes = List.of();
        }
    }

    private final AlertPolicy policy;
    private final SceneChangePolicy scene;
    private final Alert.AnalyticsModule module;

    /** Anomaly alerts only: no scene-change detection. */
    public AlertTracker(AlertPolicy policy, Alert.AnalyticsModule module) {
        this(policy, SceneChangePolicy.OFF, module);
    }

    public AlertTracker(AlertPolicy policy, SceneChangePolicy scene, Alert.AnalyticsModule module) {
        this.policy = policy;
        this.scene = scene;
        this.module = module;
    }

    /**
     * Advances the state by one frame.
     *
     * @param boxes the frame's anomalous regions, asked for only when the frame is above threshold
     * @return the alert records this frame produces (none, or one)
     */
    public List<Alert> observe(State s, Observation o, Supplier<List<Alert.Box>> boxes) {
        List<Alert> out = new ArrayList<>(1);
        if (Double.isNaN(o.threshold())) {
            return out;
        }
        boolean above = o.score() > o.threshold();
        if (scene.enabled() && sceneChange(s, o, above, out)) {
            return out;
        }
        if (!s.open()) {
            if (s.cooldown > 0) {
                s.cooldown--;
                s.above = 0;
                return out;
            }
            if (!above) {
                s.above = 0;
                return out;
            }
            if (s.above == 0) {
                s.runStartSeq = o.seq();
                s.runStartTime = o.timestamp();
                s.peak = 0;
            }
            s.above++;
            if (o.score() > s.peak) {
                s.peak = o.score();
                s.peakSeq = o.seq();
                s.peakBoxes = boxes.get();
            }
            if (s.above >= policy.openAfter()) {
                // the capture time, not the sequence number: sequences restart with each replay or ingest session
                s.openId = o.camera() + "-" + s.runStartTime;
                s.startSeq = s.runStartSeq;
                s.startTime = s.runStartTime;
                s.frames = s.above;
                s.below = 0;
                s.lastAboveSeq = o.seq();
                s.lastAboveTime = o.timestamp();
                s.sentPeak = s.peak;
                s.lastSentSeq = o.seq();
                out.add(record(Alert.Type.NEW, s, o, null));
            }
            return out;
        }
        if (above) {
            s.below = 0;
            s.frames++;
            s.lastAboveSeq = o.seq();
            s.lastAboveTime = o.timestamp();
            if (o.score() > s.peak) {
                s.peak = o.score();
                s.peakSeq = o.seq();
                s.peakBoxes = boxes.get();
            }
            if (s.peak > s.sentPeak * (1 + policy.peakRise()) || o.seq() - s.lastSentSeq >= policy.updateEvery()) {
                s.sentPeak = s.peak;
                s.lastSentSeq = o.seq();
                out.add(record(Alert.Type.UPDATE, s, o, null));
            }
            return out;
        }
        s.below++;
        if (s.below >= policy.closeAfter()) {
            out.add(record(Alert.Type.END, s, o, s.lastAboveTime));
            s.reset(policy.cooldown());
        }
        return out;
    }

    /**
     * Follows the share of frames above threshold; opens a scene-change alert (ending any anomaly alert) when it stays
     * high, and ends it when the share falls or a new model is active (a model learnt on the new scene).
     *
     * @return true while a scene change is open: the frame raises no anomaly alert
     */
    private boolean sceneChange(State s, Observation o, boolean above, List<Alert> out) {
        if (s.sceneModel != o.modelVersion()) {
            if (s.sceneId != null) {
                out.add(sceneRecord(Alert.Type.END, s, o, o.timestamp()));
                s.sceneId = null;
            }
            s.sceneModel = o.modelVersion();
            s.sceneShare = 0;
            s.sceneFrames = 0;
        }
        s.sceneFrames = Math.min(scene.window(), s.sceneFrames + 1);
        s.sceneShare += ((above ? 1 : 0) - s.sceneShare) / scene.window();
        if (s.sceneId == null) {
            if (s.sceneFrames < scene.window() || s.sceneShare < scene.openShare()) {
                return false;
            }
            if (s.open()) {
                out.add(record(Alert.Type.END, s, o, s.lastAboveTime));
                s.reset(0);
            }
            s.sceneId = o.camera() + "-scene-" + o.timestamp();
            s.sceneStartSeq = o.seq();
            s.sceneStartTime = o.timestamp();
            s.sceneLasted = 0;
            out.add(sceneRecord(Alert.Type.NEW, s, o, null));
            return true;
        }
        s.sceneLasted++;
        if (s.sceneShare <= scene.closeShare()) {
            out.add(sceneRecord(Alert.Type.END, s, o, o.timestamp()));
            s.sceneId = null;
            s.reset(policy.cooldown());
        }
        return true;
    }

    private Alert sceneRecord(Alert.Type type, State s, Observation o, Long endTime) {
        return new Alert(s.sceneId, type, o.camera(), Alert.SCENE_CHANGE, s.sceneStartTime, endTime, o.timestamp(),
                o.score(), o.score(), o.threshold(), o.modelVersion(), s.sceneStartSeq, o.seq(), o.seq(),
                s.sceneLasted + 1, o.frameWidth(), o.frameHeight(), List.of(), new Alert.Sensor(o.camera(), "camera"),
                module, s.sceneId);
    }

    private Alert record(Alert.Type type, State s, Observation o, Long endTime) {
        return new Alert(s.openId, type, o.camera(), Alert.LABEL, s.startTime, endTime, o.timestamp(), s.peak,
                o.score(), o.threshold(), o.modelVersion(), s.startSeq, s.lastAboveSeq, s.peakSeq, s.frames,
                o.frameWidth(), o.frameHeight(), s.peakBoxes, new Alert.Sensor(o.camera(), "camera"), module,
                s.openId);
    }
}
