package dev.vigil.engine;

/**
 * The scoring engine stopped for good: an {@link Error} (out of memory, a native crash reported as one) or a bug
 * ended its threads. Frames queued or in flight fail with this, not with a reason of their own: they were not at
 * fault, and must be scored again by the next process rather than sent to dead letters.
 */
public final class EngineFailedException extends IllegalStateException {
    public EngineFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
