package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which version of a camera's model the scorer accepted, and which it refused with why, on
 * {@link Topics#CAMERA_STATUS} (docs/topics.md): key {@code <camera>#model-version}, value this record as JSON.
 * Written by the scorer whenever it activates or refuses a version: the models topic says what was asked for, this
 * says what the scorer made of it, so {@code vigil model list} and the dashboard show the model that is scoring.
 *
 * @param activeVersion the version scoring the camera, or null when the scorer has accepted none
 * @param refused       the last {@link #REFUSALS_KEPT} versions refused, oldest first, each once
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ModelVersionStatus(String camera, String kind, @JsonProperty("active_version") Long activeVersion,
                                 List<Refusal> refused, long at) {
    public static final String KIND = "model-version";
    /** enough to explain a run of bad publications; the dead letters keep every refusal */
    public static final int REFUSALS_KEPT = 10;

    /** A version the scorer would not use, and why (the reason also on its dead letter). */
    public record Refusal(long version, String reason, long at) {
    }

    public ModelVersionStatus {
        refused = refused == null ? List.of() : List.copyOf(refused);
    }

    /** The record key: beside ingest's (camera id) and the learning state's ({@code <camera>#model}). */
    public static String key(String camera) {
        return camera + "#" + KIND;
    }

    /** What a scorer that has reported nothing yet knows: the version it holds active, or none (-1). */
    public static ModelVersionStatus initial(String camera, long activeVersion, long at) {
        return new ModelVersionStatus(camera, KIND, activeVersion < 0 ? null : activeVersion, List.of(), at);
    }

    /** This status once {@code version} is active: no longer among the refused, should it have been refused before. */
    public ModelVersionStatus accepted(long version, long at) {
        return new ModelVersionStatus(camera, kind, version,
                refused.stream().filter(r -> r.version() != version).toList(), at);
    }

    /** This status with {@code version} refused: its latest reason only, the oldest refusals dropped past the limit. */
    public ModelVersionStatus refused(long version, String reason, long at) {
        List<Refusal> list = new ArrayList<>(refused.stream().filter(r -> r.version() != version).toList());
        list.add(new Refusal(version, reason, at));
        return new ModelVersionStatus(camera, kind, activeVersion, list.subList(Math.max(0,
                list.size() - REFUSALS_KEPT), list.size()), at);
    }

    /** The refusal of {@code version}, unless it is active (accepted since). */
    public Optional<Refusal> refusal(long version) {
        if (activeVersion != null && activeVersion == version) {
            return Optional.empty();
        }
        return refused.stream().filter(r -> r.version() == version).findFirst();
    }

    /** The active version, or -1 when none. */
    @JsonIgnore
    public long active() {
        return activeVersion == null ? -1 : activeVersion;
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static ModelVersionStatus fromJson(byte[] value) {
        return RecordJson.read(value, ModelVersionStatus.class, "model version status record");
    }

    /**
     * The latest record of the camera on the status topic, read to its end; empty when no scorer has reported on
     * it (none has run since this record existed, or none has taken the camera's models yet).
     */
    public static Optional<ModelVersionStatus> read(KafkaConnection kafka, String camera) {
        ModelVersionStatus[] latest = {null};
        try (TopicReader reader = TopicReader.ofKey(kafka, Topics.CAMERA_STATUS, key(camera))) {
            reader.read(new TopicReader.Until.CaughtUp(), r -> {
                if (r.value() == null) {
                    latest[0] = null;
                    return;
                }
                try {
                    ModelVersionStatus s = fromJson(r.value());
                    if (camera.equals(s.camera())) {
                        latest[0] = s;
                    }
                } catch (IllegalArgumentException e) {
                    // a damaged record tells nothing: the one before it stands
                }
            }, r -> false);
        }
        return Optional.ofNullable(latest[0]);
    }
}
