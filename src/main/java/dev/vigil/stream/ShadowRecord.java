package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * One frame scored by both the active model and a candidate in shadow, on {@link Topics#SHADOW} (docs/topics.md):
 * key the camera id, value this record as JSON. The candidate's alerts are tracked as if it were active, but go
 * only here, never to the alerts topic.
 *
 * @param timestamp capture time, epoch milliseconds
 */
public record ShadowRecord(String camera, long seq, long timestamp, Side active, Side shadow) {

    /**
     * One model's view of the frame.
     *
     * @param threshold the model's threshold, or null when it has none
     * @param alerts    the alert records this frame produced for that model (new, update, end)
     */
    public record Side(@JsonProperty("model_version") long modelVersion, double score, Double threshold,
                       boolean anomalous, List<Alert> alerts) {
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static ShadowRecord fromJson(byte[] value) {
        return RecordJson.read(value, ShadowRecord.class, "shadow record");
    }
}
