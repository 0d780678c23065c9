package dev.vigil.topology;

import dev.vigil.alerting.AlertPolicy;

import java.time.Duration;

/**
 * How the topology scores and alerts (docs/configuration.md).
 *
 * @param maxInFlight   frames a task may have queued for scoring before it waits for results (back-pressure)
 * @param maxLiveAge    a live camera's frame older than this when it reaches the scorer is skipped and counted,
 *                      so that a scorer that fell behind catches up on the newest frames; replayed footage is never
 *                      skipped
 * @param minRegionArea anomalous regions smaller than this (map pixels) get no box
 * @param maxBoxes      boxes per alert record, largest peak first
 */
public record ScoringSettings(int maxInFlight, Duration maxLiveAge, AlertPolicy alerts, int minRegionArea,
                              int maxBoxes) {
    public static final ScoringSettings DEFAULT = new ScoringSettings(256, Duration.ofSeconds(10), AlertPolicy.DEFAULT,
            16, 8);
}
