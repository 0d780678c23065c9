package dev.vigil.engine;

import dev.vigil.media.RgbImage;

/**
 * A frame of a sequence (a video file, a camera's stream), for the motion stream, which differences a frame only with
 * the one right before it in its source.
 *
 * @param follows   whether it comes right after the frame handed over before it (false for a clip's first frame, or
 *                  after a gap)
 * @param reference only the predecessor of the next frame: embedded for its difference, its own score not kept
 */
public record SequenceFrame(RgbImage image, boolean follows, boolean reference) {
    public static SequenceFrame of(RgbImage image, boolean follows) {
        return new SequenceFrame(image, follows, false);
    }
}
