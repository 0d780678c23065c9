package dev.vigil.topology;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cameras one instance scores, at most {@link ScoringSettings.Limits#maxCameras()}: each costs a model, alert
 * state and metrics series, so a flood of new keys is refused past the limit rather than grow them without bound.
 * A task's cameras are let go when it closes (the cameras moved to another instance). Shared by the instance's tasks.
 */
final class CameraAdmission {
    private final int max;
    private final Set<String> cameras = ConcurrentHashMap.newKeySet();

    CameraAdmission(int max) {
        this.max = max;
    }

    /** Whether frames of this camera are taken: it is known, or there is room for it (it is then known). */
    boolean admit(String camera) {
        // every frame asks: a known camera is answered by the concurrent set alone, without the lock
        return cameras.contains(camera) || admitNew(camera);
    }

    private synchronized boolean admitNew(String camera) {
        if (cameras.contains(camera)) {
            return true;
        }
        if (cameras.size() >= max) {
            return false;
        }
        cameras.add(camera);
        return true;
    }

    synchronized void release(String camera) {
        cameras.remove(camera);
    }

    int size() {
        return cameras.size();
    }

    int max() {
        return max;
    }
}
