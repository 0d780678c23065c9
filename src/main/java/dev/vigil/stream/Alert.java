package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * An alert lifecycle record on {@link Topics#ALERTS} (docs/topics.md): key the camera id, value this record as
 * JSON. One alert is one {@code new}, any number of {@code update}s and one {@code end}, all with the same id, as
 * in Frigate's event stream; {@code sensor} and {@code analytics_module} carry DeepStream's fields of the same names.
 *
 * @param id           stable across the alert's records: {@code <camera>-<start time>}
 * @param type         {@link Type#NEW}, {@link Type#UPDATE} or {@link Type#END} ("new", "update", "end" in JSON)
 * @param startTime    capture time of the first frame above threshold, epoch milliseconds
 * @param endTime      capture time of the last frame above threshold; null until the alert ends
 * @param peakScore    highest frame score so far
 * @param score        the score of the frame that produced this record
 * @param frames       frames above threshold so far
 * @param boxes        the anomalous regions of the frame with the peak score, in that frame's pixels, largest peak first
 * @param snapshot     the key of the alert's snapshot on {@link Topics#SNAPSHOTS} (a JPEG of the peak frame with its
 *                     anomaly map over it); the dashboard serves it at {@code /api/snapshots/<key>}
 */
public record Alert(String id, Type type, String camera, String label,
                    @JsonProperty("start_time") long startTime, @JsonProperty("end_time") Long endTime,
                    @JsonProperty("updated_at") long updatedAt,
                    @JsonProperty("peak_score") double peakScore, double score, double threshold,
                    @JsonProperty("model_version") long modelVersion,
                    @JsonProperty("start_seq") long startSeq, @JsonProperty("last_seq") long lastSeq,
                    @JsonProperty("peak_seq") long peakSeq, int frames,
                    @JsonProperty("frame_width") int frameWidth, @JsonProperty("frame_height") int frameHeight,
                    List<Box> boxes, Sensor sensor, @JsonProperty("analytics_module") AnalyticsModule analyticsModule,
                    String snapshot) {
    public static final String LABEL = "anomaly";
    /** the label of a scene change: most frames above threshold for long, the camera's normal has changed */
    public static final String SCENE_CHANGE = "scene-change";

    /** Where in its lifecycle an alert record is. */
    public enum Type {
        NEW("new"), UPDATE("update"), END("end");

        private final String json;

        Type(String json) {
            this.json = json;
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String json() {
            return json;
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Type fromJson(String value) {
            for (Type t : values()) {
                if (t.json.equals(value)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("alert type must be new, update or end, got '" + value + "'");
        }

        @Override
        public String toString() {
            return json;
        }
    }

    /**
     * A region of the thresholded map, in frame pixels.
     *
     * @param area region area in map pixels above threshold
     * @param peak the region's highest distance
     */
    public record Box(int x, int y, int width, int height, int area, double peak) {
    }

    /** DeepStream's sensor: the camera. */
    public record Sensor(String id, String type) {
    }

    /** DeepStream's analytics module: what raised the alert. */
    public record AnalyticsModule(String id, String description, String source, String version) {
    }

    /**
     * Whether this record's frame gets a snapshot: the opening frame, then each update sent for a new peak (the
     * snapshot record of a later peak replaces the earlier one).
     */
    public boolean takesSnapshot() {
        return type == Type.NEW || type == Type.UPDATE && lastSeq == peakSeq;
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static Alert fromJson(byte[] value) {
        return RecordJson.read(value, Alert.class, "alert record");
    }

    /**
     * The latest record of alert {@code id} of a camera on the alerts topic, read to its end (the camera's records
     * only); empty when the topic holds none (never raised, or past the topic's retention).
     */
    public static java.util.Optional<Alert> read(KafkaConnection kafka, String camera, String id) {
        Alert[] latest = {null};
        try (TopicReader reader = new TopicReader(kafka, Topics.ALERTS, camera, true)) {
            reader.read(new TopicReader.Until.CaughtUp(), r -> {
                try {
                    Alert a = fromJson(r.value());
                    if (id.equals(a.id()) && camera.equals(a.camera())) {
                        latest[0] = a;
                    }
                } catch (IllegalArgumentException e) {
                    // not an alert record: it says nothing of this one
                }
            }, r -> false);
        }
        return java.util.Optional.ofNullable(latest[0]);
    }
}
