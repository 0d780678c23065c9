package dev.vigil.alerting;

/**
 * When a camera's frames above threshold are a scene change (camera moved, lighting changed for good) rather than
 * anomalies (docs/configuration.md). The share of frames above threshold is followed as an exponential moving
 * average over about {@code window} frames; once it reaches {@code openShare} a {@code scene-change} alert opens and
 * anomaly alerts stop, and it ends when the share falls to {@code closeShare} or a new model is active.
 *
 * @param window     frames the share is averaged over (and the fewest frames a model scores before it can tell)
 * @param openShare  share that opens a scene-change alert
 * @param closeShare share that ends it
 */
public record SceneChangePolicy(int window, double openShare, double closeShare) {
    /** a minute at 10 fps, most of it above threshold */
    public static final SceneChangePolicy DEFAULT = new SceneChangePolicy(600, 0.7, 0.3);
    /** never: every frame above threshold counts toward anomaly alerts */
    public static final SceneChangePolicy OFF = new SceneChangePolicy(0, 1, 0);

    public SceneChangePolicy {
        if (window < 0 || !(openShare > 0 && openShare <= 1) || !(closeShare >= 0 && closeShare < openShare)) {
            throw new IllegalArgumentException("scene change needs window >= 0 (0: off), 0 < open share <= 1 and "
                    + "0 <= close share < open share; got " + this);
        }
    }

    public boolean enabled() {
        return window > 0;
    }
}
