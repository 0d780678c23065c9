package dev.vigil.topology;

/**
 * Fits a camera's model at the end of its learning phase and publishes it on the models topic as a new version,
 * which the topology then loads like any published model. It runs on a learning thread, off the stream thread; the
 * topology knows the frames only by their offsets, and nothing of the backbone.
 */
@FunctionalInterface
public interface CameraLearner {
    /**
     * @param partition  the camera's partition of the frames topic
     * @param fromOffset the first frame of the phase
     * @param toOffset   the last, included
     * @param sampleFps  the sampling the phase counted with (the same frames are kept again)
     * @return the version published
     */
    long learn(String camera, int partition, long fromOffset, long toOffset, double sampleFps) throws Exception;
}
