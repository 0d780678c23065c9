package dev.vigil.alerting;

/**
 * When an alert opens, updates and closes, in frames of one camera (docs/configuration.md).
 *
 * @param openAfter   consecutive frames above threshold that open an alert (K)
 * @param closeAfter  consecutive frames at or below threshold that close it (M)
 * @param cooldown    frames after an alert ends during which no new one opens
 * @param updateEvery at most one update per this many frames while the alert lasts, besides a new peak
 * @param peakRise    an update is also sent when the peak score rises by this fraction over the last one sent
 */
public record AlertPolicy(int openAfter, int closeAfter, int cooldown, int updateEvery, double peakRise) {
    public static final AlertPolicy DEFAULT = new AlertPolicy(3, 5, 10, 25, 0.10);

    public AlertPolicy {
        if (openAfter < 1 || closeAfter < 1 || cooldown < 0 || updateEvery < 1 || peakRise < 0) {
            throw new IllegalArgumentException("alert policy needs open-after >= 1, close-after >= 1, cooldown >= 0, "
                    + "update-every >= 1, peak-rise >= 0; got " + this);
        }
    }
}
