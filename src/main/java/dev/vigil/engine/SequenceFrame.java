package dev.vigil.engine;

import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SourceFrame;

import java.util.Iterator;

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

    /**
     * Frames read from files, through a codec (null: none); a frame follows the one before it when both are
     * consecutive frames of one video.
     */
    public static Iterator<SequenceFrame> fromSources(FrameCodec codec, Iterator<SourceFrame> frames) {
        return new Iterator<>() {
            SourceFrame last;

            @Override
            public boolean hasNext() {
                return frames.hasNext();
            }

            @Override
            public SequenceFrame next() {
                SourceFrame f = frames.next();
                boolean follows = last != null && last.source().equals(f.source()) && f.index() == last.index() + 1;
                last = f;
                return SequenceFrame.of(FrameCodec.roundTrip(codec, f.image()), follows);
            }
        };
    }
}
