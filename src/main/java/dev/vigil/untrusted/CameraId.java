package dev.vigil.untrusted;

import java.util.regex.Pattern;

/**
 * The one rule for camera ids, wherever one enters: {@code config/cameras.yaml}, a frame record's key, a model
 * publish, a learn request, a dashboard URL. An id becomes a Kafka key, part of model chunk keys
 * ({@code <camera>#<version>#<index>}), a file name and a metrics label, so it is kept to characters that are safe
 * in all of them, and short.
 */
public final class CameraId {
    /** Longer ids are refused: an id is a label on every metric and a store key, and hostile keys must stay small. */
    public static final int MAX_LENGTH = 64;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** What {@link #problem} says an id must be. */
    public static final String RULE = "1 to " + MAX_LENGTH + " letters, digits, '.', '_' and '-', starting with a "
            + "letter or digit";

    private CameraId() {
    }

    /** Whether {@code id} is a valid camera id. */
    public static boolean isValid(String id) {
        return problem(id) == null;
    }

    /** Why {@code id} is not a valid camera id (the id escaped and shortened), or null when it is one. */
    public static String problem(String id) {
        if (id == null) {
            return "camera id is missing";
        }
        if (id.length() > MAX_LENGTH || !ID.matcher(id).matches()) {
            return "camera id " + LogText.quote(id) + " is not " + RULE;
        }
        return null;
    }

    /**
     * {@code id} itself when valid.
     *
     * @throws IllegalArgumentException saying why it is not
     */
    public static String require(String id) {
        String problem = problem(id);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return id;
    }
}
