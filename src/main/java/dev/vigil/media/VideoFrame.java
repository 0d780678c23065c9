package dev.vigil.media;

/**
 * One decoded video frame.
 *
 * @param index 0-based position in decode order among the video frames of its source
 * @param timestampMicros presentation time reported by the demuxer, in microseconds
 * @param image the frame as {@code [height][width][3]} RGB
 */
public record VideoFrame(int index, long timestampMicros, RgbImage image) {
}
