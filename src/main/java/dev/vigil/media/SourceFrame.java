package dev.vigil.media;

/**
 * A frame and where it came from.
 *
 * @param source the image file, or the video file or URL
 * @param index  0-based frame index within a video; 0 for a still image
 */
public record SourceFrame(String source, int index, RgbImage image) {
}
