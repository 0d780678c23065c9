package dev.vigil.engine;

/**
 * A submitted frame that could not be scored because of its bytes: not a PNG or JPEG, damaged, of another size than
 * its record says, or larger than the engine's limit. The frame's own fault, unlike {@link EngineFailedException}:
 * it goes to dead letters with this message, and nothing else is affected.
 */
public final class UndecodableFrameException extends java.io.IOException {
    public UndecodableFrameException(String message, Throwable cause) {
        super(message, cause);
    }
}
