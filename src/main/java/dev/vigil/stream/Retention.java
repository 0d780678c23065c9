package dev.vigil.stream;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long Kafka keeps the records that show people, or are derived from what they do, when Vigil creates the
 * topics: frames, anomaly maps, snapshots, alerts and dead letters (which carry the frames they refused). As short
 * as the work needs by default: a day of frames (enough to score, learn and replay a backlog), a week of maps,
 * snapshots and dead letters (enough to look into an alert or a refusal), a month of alerts (no pictures: times,
 * scores and boxes). docs/configuration.md#retention says how to change them and existing topics.
 */
public record Retention(Duration frames, Duration maps, Duration snapshots, Duration alerts, Duration deadLetters) {
    public static final Retention DEFAULT = new Retention(Duration.ofHours(24), Duration.ofDays(7), Duration.ofDays(7),
            Duration.ofDays(30), Duration.ofDays(7));

    /** @throws IllegalArgumentException naming the topic whose retention is not a positive duration */
    public Retention {
        Map<String, Duration> all = new LinkedHashMap<>();
        all.put("frames", frames);
        all.put("maps", maps);
        all.put("snapshots", snapshots);
        all.put("alerts", alerts);
        all.put("dead letters", deadLetters);
        all.forEach((what, d) -> {
            if (d == null || d.isNegative() || d.isZero() || d.toMillis() == 0) {
                throw new IllegalArgumentException("the retention of " + what + " must be a positive duration, got "
                        + d);
            }
        });
    }

    /** The {@code retention.ms} of a topic, or null for a topic it does not set (compacted ones, the shadow). */
    String of(String topic) {
        Duration d = topic.equals(Topics.FRAMES.name()) ? frames
                : topic.equals(Topics.ANOMALY_MAPS.name()) ? maps
                : topic.equals(Topics.SNAPSHOTS.name()) ? snapshots
                : topic.equals(Topics.ALERTS.name()) ? alerts
                : topic.equals(Topics.DEAD_LETTERS.name()) ? deadLetters
                : null;
        return d == null ? null : String.valueOf(d.toMillis());
    }

    /** {@code topic} with this retention in place of its default. */
    <V> Topic<V> apply(Topic<V> topic) {
        String ms = of(topic.name());
        if (ms == null) {
            return topic;
        }
        Map<String, String> configs = new LinkedHashMap<>(topic.configs());
        configs.put("retention.ms", ms);
        return new Topic<>(topic.name(), topic.partitions(), Map.copyOf(configs), topic.format());
    }
}
