package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine.CameraModel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decoded model of each camera this instance scores. A camera's frames and model chunks are processed by the
 * one task that owns its partition, so each entry has a single writer; swapping a version releases the old one
 * (freed once the frames it is scoring are done).
 */
final class CameraModels {
    private final Map<String, CameraModel> active = new ConcurrentHashMap<>();
    /** the cameras held, as reported (ScoringStats.modelsHeld for the active models) */
    private final java.util.Set<String> held;

    CameraModels(java.util.Set<String> held) {
        this.held = held;
    }

    CameraModels() {
        this(ConcurrentHashMap.newKeySet());
    }

    CameraModel get(String camera) {
        return active.get(camera);
    }

    void activate(CameraModel model) {
        CameraModel old = active.put(model.camera(), model);
        held.add(model.camera());
        if (old != null) {
            old.release();
        }
    }

    /** Forgets a camera whose partition moved to another instance. */
    void drop(String camera) {
        CameraModel old = active.remove(camera);
        held.remove(camera);
        if (old != null) {
            old.release();
        }
    }
}
