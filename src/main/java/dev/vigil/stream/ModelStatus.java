package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;


/**
 * A camera's model state on {@link Topics#CAMERA_STATUS}, written by the scorer (docs/topics.md): key
 * {@code <camera>#model} (beside ingest's records, keyed by the camera id, so compaction keeps the latest of each),
 * value this record as JSON.
 *
 * @param state        {@link #LEARNING}, {@link #FITTING}, {@link #SCORING} or {@link #FAILED}
 * @param frames       frames kept so far in the learning phase
 * @param target       frames the phase is to keep (0 when it is set by duration only)
 * @param spanMillis   capture time the phase covers so far
 * @param targetMillis capture time it is to cover (0 when set by frames only)
 * @param modelVersion the version scoring (SCORING), or the one being replaced by re-learning; null when none
 * @param reason       why the phase started ("no model", "scene change") or failed
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ModelStatus(String camera, String kind, String state, long frames, long target,
                          @JsonProperty("span_ms") long spanMillis, @JsonProperty("target_ms") long targetMillis,
                          @JsonProperty("model_version") Long modelVersion, String reason, long at) {
    public static final String KIND = "model";
    public static final String LEARNING = "learning";
    public static final String FITTING = "fitting";
    public static final String SCORING = "scoring";
    public static final String FAILED = "failed";

    /** The record key: the camera's model state beside its ingest state. */
    public static String key(String camera) {
        return camera + "#" + KIND;
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static ModelStatus fromJson(byte[] value) {
        return RecordJson.read(value, ModelStatus.class, "model status record");
    }
}
