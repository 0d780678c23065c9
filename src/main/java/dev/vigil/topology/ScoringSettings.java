package dev.vigil.topology;

import dev.vigil.alerting.AlertPolicy;
import dev.vigil.alerting.SceneChangePolicy;

import java.time.Duration;

/**
 * How the topology scores, alerts and learns (docs/configuration.md).
 *
 * @param maxInFlight   frames a task may have queued for scoring before it waits for results (back-pressure)
 * @param maxLiveAge    a live camera's frame older than this when it reaches the scorer is skipped and counted,
 *                      so that a scorer that fell behind catches up on the newest frames; replayed footage is never
 *                      skipped
 * @param minRegionArea anomalous regions smaller than this (map pixels) get no box
 * @param maxBoxes      boxes per alert record, largest peak first
 * @param sceneChange   when a lasting share of frames above threshold is a scene change, not anomalies
 * @param autoLearn     how a camera with no model learns one from its frames, or null: it waits for a published one
 * @param relearnOnSceneChange a scene change starts a learning phase (with {@code autoLearn}'s length); the camera
 *                      keeps scoring with its current model until the new one is active
 * @param limits        what an instance takes from untrusted input: cameras, attempts at a frame
 */
public record ScoringSettings(int maxInFlight, Duration maxLiveAge, AlertPolicy alerts, int minRegionArea,
                              int maxBoxes, SceneChangePolicy sceneChange, AutoLearning autoLearn,
                              boolean relearnOnSceneChange, Limits limits) {
    /**
     * Bounds on what frames from outside can make an instance hold.
     *
     * @param maxCameras  cameras one instance scores at most: each costs a model, alert state and metrics series,
     *                    so keys beyond it (a flood of junk keys) are refused rather than grow them without bound
     * @param maxAttempts times a frame may be in flight when the instance dies before it is taken for poison and
     *                    sent to dead letters instead of being scored again
     */
    public record Limits(int maxCameras, int maxAttempts) {
        public static final Limits DEFAULT = new Limits(1000, 2);

        public Limits {
            if (maxCameras < 1) {
                throw new IllegalArgumentException("the camera limit must be at least 1, got " + maxCameras);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("attempts per frame must be at least 1, got " + maxAttempts);
            }
        }
    }

    public static final ScoringSettings DEFAULT = new ScoringSettings(256, Duration.ofSeconds(10), AlertPolicy.DEFAULT,
            16, 8);

    public ScoringSettings {
        java.util.Objects.requireNonNull(limits, "limits");
        if (relearnOnSceneChange && autoLearn == null) {
            throw new IllegalArgumentException("re-learning on a scene change needs a learning phase length "
                    + "(--auto-learn-frames or --auto-learn-for)");
        }
    }

    /** Scene changes detected with the default policy, no learning. */
    public ScoringSettings(int maxInFlight, Duration maxLiveAge, AlertPolicy alerts, int minRegionArea, int maxBoxes) {
        this(maxInFlight, maxLiveAge, alerts, minRegionArea, maxBoxes, SceneChangePolicy.DEFAULT, null, false,
                Limits.DEFAULT);
    }

    public ScoringSettings withLearning(AutoLearning learning, boolean relearn) {
        return new ScoringSettings(maxInFlight, maxLiveAge, alerts, minRegionArea, maxBoxes, sceneChange, learning,
                relearn, limits);
    }

    public ScoringSettings withLimits(Limits newLimits) {
        return new ScoringSettings(maxInFlight, maxLiveAge, alerts, minRegionArea, maxBoxes, sceneChange, autoLearn,
                relearnOnSceneChange, newLimits);
    }
}
