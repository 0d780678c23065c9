package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the scorer made of an operator's confirmation ({@link Feedback}), on {@link Topics#CAMERA_STATUS}
 * (docs/topics.md): key {@code <camera>#refinement}, value this record as JSON, one per step of each confirmation.
 * The dashboard shows the latest; compaction keeps it.
 *
 * @param state       {@link #QUEUED}, then {@link #PUBLISHED}, {@link #UNCHANGED}, {@link #REFUSED} or {@link #FAILED}
 * @param feedback    the confirmation's id
 * @param baseVersion the version refined, or null before it is known (or when there is none)
 * @param version     the refined version published, or null
 * @param frames      the confirmed frames read from the frames topic
 * @param patches     the patches added to the memory (before its coreset)
 * @param reason      why it was refused, failed or changed nothing; what was short (frames gone) when published
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RefinementStatus(String camera, String kind, String state, String feedback,
                               @JsonProperty("from_seq") long fromSeq, @JsonProperty("to_seq") long toSeq,
                               @JsonProperty("base_version") Long baseVersion, Long version, int frames, int patches,
                               String reason, long at) {
    public static final String KIND = "refinement";
    /** taken, waiting for the scorer's learning thread or being worked on */
    public static final String QUEUED = "queued";
    /** a refined version was published; the scorer activates it as any newer version */
    public static final String PUBLISHED = "published";
    /** nothing to add: the model already scores the frames' patches as normal ones */
    public static final String UNCHANGED = "unchanged";
    /** not possible: no model, a model without a patch memory, the frames gone from the topic */
    public static final String REFUSED = "refused";
    /** an error (the broker, the backbone): the confirmation can be sent again */
    public static final String FAILED = "failed";

    /** The record key: beside the camera's other states ({@code <camera>#model}, {@code <camera>#model-version}). */
    public static String key(String camera) {
        return camera + "#" + KIND;
    }

    /** A confirmation taken by the scorer, not worked on yet. */
    public static RefinementStatus queued(Feedback f, long at) {
        return new RefinementStatus(f.camera(), KIND, QUEUED, f.id(), f.fromSeq(), f.toSeq(), null, null, 0, 0, null,
                at);
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static RefinementStatus fromJson(byte[] value) {
        return RecordJson.read(value, RefinementStatus.class, "refinement status record");
    }
}
