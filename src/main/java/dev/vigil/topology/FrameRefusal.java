package dev.vigil.topology;

/** Why a frame record was refused before it reached the scoring engine: the label of its dead letter and metric. */
public enum FrameRefusal {
    /** a header missing or out of range, no image */
    MALFORMED("malformed"),
    /** a key that is not a camera id ({@link dev.vigil.untrusted.CameraId}) */
    INVALID_CAMERA("invalid-camera"),
    /** a new camera beyond the instance's limit */
    CAMERA_LIMIT("camera-limit"),
    /** in flight each time this instance died, too often */
    POISON("poison");

    private final String label;

    FrameRefusal(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
