package dev.vigil.topology;

import dev.vigil.engine.Detection;
import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.stream.FrameRecords.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A task's cameras' models as its frames need them: the one held in memory, or the active version in the state store
 * decoded on first use (after a restart, or when the camera's partition moved here). Frames of a camera whose model
 * is still loading are held back in order rather than dropped: each is queued after the one before it, as the motion
 * stream needs them.
 */
final class ModelResolution {
    private static final Logger LOG = LoggerFactory.getLogger(ModelResolution.class);

    private final ScoringTopology.Shared shared;
    private final ModelStore store;
    /** per camera whose model is loading, the last frame held back (queued once the one before it is) */
    private final Map<String, CompletableFuture<?>> heldBack = new HashMap<>();
    private final Set<String> cameras = new HashSet<>();

    ModelResolution(ScoringTopology.Shared shared, ModelStore store) {
        this.shared = shared;
        this.store = store;
    }

    /** The camera's model, possibly still loading; null when it has none (or its stored one failed to load). */
    CompletableFuture<CameraModel> modelFor(String camera) {
        CameraModel model = shared.models().get(camera);
        if (model != null) {
            cameras.add(camera);
            shared.loading().remove(camera);
            return CompletableFuture.completedFuture(model);
        }
        CompletableFuture<CameraModel> pending = shared.loading().get(camera);
        if (pending != null && !pending.isCompletedExceptionally()) {
            return pending;
        }
        long version = store.activeVersion(camera);
        if (version < 0 || pending != null) {
            return null;
        }
        ModelStore.Assembled assembled;
        try {
            assembled = store.assemble(camera, version);
        } catch (IOException e) {
            LOG.error("camera {}: stored model version {} cannot be used: {}", camera, version, e.getMessage());
            shared.loading().put(camera, CompletableFuture.failedFuture(e));
            return null;
        }
        cameras.add(camera);
        CompletableFuture<CameraModel> load = shared.loader().load(camera, version, assembled).whenComplete((m, e) -> {
            if (e != null) {
                LOG.error("camera {}: stored model version {} cannot be used: {}", camera, version,
                        ModelLoader.reason(e));
            } else {
                shared.models().activate(m);
                shared.stats().modelsLoaded.increment();
                LOG.info("camera {}: model version {} loaded from the state store", camera, version);
            }
        });
        shared.loading().put(camera, load);
        return load;
    }

    /**
     * Hands the frame to the engine with its model, at once when the model is ready and nothing of its camera is held
     * back, else after the frame held back before it.
     *
     * @throws IllegalStateException when the engine is closing or the model was released
     */
    CompletableFuture<Detection> submit(Frame f, CompletableFuture<CameraModel> model) {
        CompletableFuture<?> before = heldBack.get(f.camera());
        if (before != null && before.isDone()) {
            heldBack.remove(f.camera());
            before = null;
        }
        if (before == null && model.isDone() && !model.isCompletedExceptionally()) {
            return shared.engine().submit(model.join(), f.image(), f.width(), f.height(), f.seq(), f.captureMillis());
        }
        // a future's dependents run in no set order: each held frame waits for the one before it
        CompletableFuture<CameraModel> ready = before == null ? model
                : before.handle((x, e) -> null).thenCompose(x -> model);
        CompletableFuture<CompletableFuture<Detection>> queued = ready.thenApply(m ->
                shared.engine().submit(m, f.image(), f.width(), f.height(), f.seq(), f.captureMillis()));
        heldBack.put(f.camera(), queued);
        return queued.thenCompose(r -> r);
    }

    long activeVersion(String camera) {
        return store.activeVersion(camera);
    }

    /** Lets the task's cameras' models go: the task moved, or the instance is stopping. */
    void close() {
        for (String camera : cameras) {
            shared.models().drop(camera);
            // a load this task started must not hand a released model to the camera's next owner on this instance
            shared.loading().remove(camera);
        }
    }
}
