package dev.vigil.evaluation;

import java.nio.file.Path;

/**
 * One test image or video frame of an evaluation dataset.
 *
 * @param source  the image file, or the clip's video file
 * @param clip    the clip name (clips layout) or the defect type (mvtec layout)
 * @param frame   0-based frame index in the clip; 0 for images
 * @param anomalous the image-level label
 * @param mask    the ground-truth mask file, or null when there is none
 */
public record TestItem(Path source, String clip, int frame, boolean anomalous, Path mask) {
    /** Pixel metrics use frames with a mask, and normal frames (whose mask is empty by definition). */
    public boolean inPixelMetrics() {
        return mask != null || !anomalous;
    }
}
