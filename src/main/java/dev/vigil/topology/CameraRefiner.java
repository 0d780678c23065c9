package dev.vigil.topology;

import dev.vigil.stream.Feedback;
import dev.vigil.stream.RefinementStatus;

/**
 * Refines a camera's model from frames an operator confirmed as normal ({@link Feedback}) and publishes the result
 * on the models topic as a new version, which the topology then loads like any published model. It runs on the
 * learning thread, off the stream threads; the topology knows a confirmation only as its record, and nothing of the
 * backbone or of how a model is refined.
 */
@FunctionalInterface
public interface CameraRefiner {
    /**
     * What became of a confirmation.
     *
     * @param state       {@link RefinementStatus#PUBLISHED}, {@link RefinementStatus#UNCHANGED} or
     *                    {@link RefinementStatus#REFUSED}
     * @param baseVersion the version refined, or null when there was none
     * @param version     the version published, or null
     * @param frames      the confirmed frames read
     * @param patches     the patches added
     * @param reason      why it was refused or changed nothing; what was short when published; or null
     */
    record Outcome(String state, Long baseVersion, Long version, int frames, int patches, String reason) {
        public static Outcome published(long base, long version, int frames, int patches, String note) {
            return new Outcome(RefinementStatus.PUBLISHED, base, version, frames, patches, note);
        }

        public static Outcome unchanged(long base, int frames, String reason) {
            return new Outcome(RefinementStatus.UNCHANGED, base, null, frames, 0, reason);
        }

        /** @param base the version that could not be refined, or -1 when there is none */
        public static Outcome refused(long base, String reason) {
            return new Outcome(RefinementStatus.REFUSED, base < 0 ? null : base, null, 0, 0, reason);
        }
    }

    /**
     * Refines the camera's model from the confirmed frames, publishing it as a new version when anything changed.
     *
     * @throws Exception when it failed (the broker, the backbone): the status says {@link RefinementStatus#FAILED}
     */
    Outcome refine(Feedback feedback) throws Exception;
}
