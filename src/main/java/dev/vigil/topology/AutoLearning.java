package dev.vigil.topology;

import java.time.Duration;

/**
 * How a camera with no model learns one from its own frames inside the scorer (docs/configuration.md): its learning
 * phase lasts until every target given is reached, counting only the frames kept by the sampling.
 *
 * @param frames    frames kept (after sampling) to learn on, or 0 for no count
 * @param span      capture time the phase covers at least, or null for none
 * @param sampleFps frames kept per second of capture time (0: every frame), so that a minute of footage is not
 *                  1,500 near-identical frames
 */
public record AutoLearning(int frames, Duration span, double sampleFps) {
    /** Fitting needs 2 frames; the threshold's first held-back block is frames 90-99. */
    public static final int MIN_FRAMES = 2;

    public AutoLearning {
        if (frames < 0 || (frames == 0 && span == null)) {
            throw new IllegalArgumentException("a learning phase needs a number of frames or a duration, got frames "
                    + frames + " and duration " + span);
        }
        if (span != null && (span.isNegative() || span.isZero())) {
            throw new IllegalArgumentException("learning duration must be positive, got " + span);
        }
        if (sampleFps < 0 || Double.isNaN(sampleFps) || Double.isInfinite(sampleFps)) {
            throw new IllegalArgumentException("learning sampling rate must be positive frames per second (or 0 for "
                    + "every frame), got " + sampleFps);
        }
    }

    /** Shortest gap between two kept frames, in milliseconds (0: every frame). */
    long gapMillis() {
        return sampleFps > 0 ? Math.round(1000 / sampleFps) : 0;
    }

    /** Whether a phase that kept {@code kept} frames from capture time {@code first} to {@code last} is complete. */
    boolean complete(long kept, long firstMillis, long lastMillis) {
        return kept >= Math.max(frames, MIN_FRAMES) && (span == null || lastMillis - firstMillis >= span.toMillis());
    }
}
