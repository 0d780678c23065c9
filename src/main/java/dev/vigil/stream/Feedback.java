package dev.vigil.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.vigil.untrusted.CameraId;
import dev.vigil.untrusted.LogText;

import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An operator's word that some of a camera's frames were normal, on {@link Topics#FEEDBACK} (docs/topics.md): key
 * the camera id, value this record as JSON. Written by the dashboard ("normal" on an alert) and by
 * {@code vigil feedback normal}; read by the scorer, which adds what those frames showed to the camera's patch memory
 * and publishes the result as a new version. The frames are named by their sequence numbers ({@code vigil.seq}),
 * which restart with an ingest, so a capture time at or before the first tells the scorer where on the frames topic
 * they are.
 *
 * <p>Anyone allowed to write the topic can write anything to it: every field is checked and bounded here, on
 * construction, so a record read from the topic is as safe as one made by Vigil.
 *
 * @param id         this confirmation, unique: what the scorer's {@link RefinementStatus} names
 * @param verdict    {@link #NORMAL}, the one verdict so far
 * @param fromSeq    sequence number of the first frame confirmed
 * @param toSeq      of the last, included; at most {@link #MAX_FRAMES} frames in all
 * @param fromMillis capture time at or before the first frame's, epoch milliseconds: where the scorer starts reading
 * @param toMillis   capture time at or after the last frame's, or null when not known (an alert still open)
 * @param alert      the alert confirmed as normal, or null
 * @param by         who said so (the dashboard's operator, the command line's user)
 * @param reason     why, free text, or null
 * @param at         when it was said, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Feedback(String id, String camera, String verdict, @JsonProperty("from_seq") long fromSeq,
                       @JsonProperty("to_seq") long toSeq, @JsonProperty("from_ms") long fromMillis,
                       @JsonProperty("to_ms") Long toMillis, String alert, String by, String reason, long at) {
    public static final String NORMAL = "normal";
    /**
     * Frames one confirmation covers at most: the work it asks of the scorer is bounded (a few hundred frames through
     * the backbone), and an alert or a span longer than that is more than "a false alarm".
     */
    public static final int MAX_FRAMES = 300;
    /** Capture time one confirmation covers at most, when its end is given. */
    public static final Duration MAX_SPAN = Duration.ofHours(1);
    static final int MAX_ID_CHARS = 200;
    static final int MAX_BY_CHARS = 100;
    static final int MAX_REASON_CHARS = 500;

    /** @throws IllegalArgumentException saying which field is wrong, its value escaped */
    public Feedback {
        CameraId.require(camera);
        text("id", id, MAX_ID_CHARS, true);
        if (!NORMAL.equals(verdict)) {
            throw new IllegalArgumentException("feedback verdict must be '" + NORMAL + "', got " + LogText.quote(verdict));
        }
        if (fromSeq < 0 || toSeq < fromSeq) {
            throw new IllegalArgumentException("feedback frames must be 0 <= from_seq <= to_seq, got " + fromSeq + ".."
                    + toSeq);
        }
        if (toSeq - fromSeq + 1 > MAX_FRAMES) {
            throw new IllegalArgumentException("feedback covers frames " + fromSeq + ".." + toSeq + ", "
                    + (toSeq - fromSeq + 1) + " frames: at most " + MAX_FRAMES + " may be confirmed at once");
        }
        if (fromMillis < 0) {
            throw new IllegalArgumentException("feedback from_ms must be a capture time (epoch ms), got " + fromMillis);
        }
        if (toMillis != null && (toMillis < fromMillis || toMillis - fromMillis > MAX_SPAN.toMillis())) {
            throw new IllegalArgumentException("feedback capture times " + fromMillis + ".." + toMillis + " must be "
                    + "in order and at most " + MAX_SPAN.toMinutes() + " minutes apart");
        }
        text("alert", alert, MAX_ID_CHARS, false);
        text("by", by, MAX_BY_CHARS, true);
        text("reason", reason, MAX_REASON_CHARS, false);
        if (at < 0) {
            throw new IllegalArgumentException("feedback at must be a time (epoch ms), got " + at);
        }
    }

    /** One line of printable text, not too long; null only when not required. */
    private static void text(String field, String value, int max, boolean required) {
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException("feedback " + field + " is missing");
            }
            return;
        }
        if ((required && value.isBlank()) || value.length() > max) {
            throw new IllegalArgumentException("feedback " + field + " must be 1 to " + max + " characters, got "
                    + value.length());
        }
        if (value.codePoints().anyMatch(Feedback::unprintable)) {
            throw new IllegalArgumentException("feedback " + field + " must be one line of printable text, got "
                    + LogText.quote(value));
        }
    }

    /** A control, format or separator character, an unpaired surrogate or an unassigned one: what LogText escapes. */
    private static boolean unprintable(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE
                || type == Character.UNASSIGNED;
    }

    /**
     * A confirmation of frames {@code fromSeq..toSeq} of a camera.
     *
     * @throws IllegalArgumentException as the constructor does
     */
    public static Feedback normal(String camera, long fromSeq, long toSeq, long fromMillis, Long toMillis,
                                  String alert, String by, String reason, long at) {
        return new Feedback(newId(camera, at), camera, NORMAL, fromSeq, toSeq, fromMillis, toMillis, alert, by,
                reason, at);
    }

    /**
     * A confirmation that an alert was a false alarm: its frames, from the first above threshold to the last seen,
     * or, for an alert longer than {@link #MAX_FRAMES}, that many around its peak.
     *
     * @throws IllegalArgumentException for a scene change, which is learnt again rather than refined
     */
    public static Feedback normal(Alert alert, String by, String reason, long at) {
        if (Alert.SCENE_CHANGE.equals(alert.label())) {
            throw new IllegalArgumentException("alert " + alert.id() + " is a scene change: the camera's normal has "
                    + "changed as a whole, which a model learns again (serve --relearn-on-scene-change, vigil learn) "
                    + "rather than refines from a few hundred frames");
        }
        long from = alert.startSeq();
        long to = Math.max(from, alert.lastSeq());
        if (to - from + 1 > MAX_FRAMES) {
            from = Math.max(from, alert.peakSeq() - MAX_FRAMES / 2);
            to = Math.min(to, from + MAX_FRAMES - 1);
            from = Math.max(alert.startSeq(), to - MAX_FRAMES + 1);
        }
        // the alert's start time is its first frame's capture time: at or before any frame of the span
        return normal(alert.camera(), from, to, alert.startTime(), alert.endTime(), alert.id(), by, reason, at);
    }

    private static String newId(String camera, long at) {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        return camera + "-" + at + "-" + HexFormat.of().formatHex(random);
    }

    /** Frames confirmed. */
    public int frames() {
        return (int) (toSeq - fromSeq + 1);
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    /** @throws IllegalArgumentException naming what is wrong: not JSON, or a field the constructor refuses */
    public static Feedback fromJson(byte[] value) {
        try {
            return RecordJson.read(value, Feedback.class, "feedback record");
        } catch (IllegalArgumentException e) {
            // the constructor's own message rather than Jackson's wrapping of it
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof IllegalArgumentException own) {
                    throw new IllegalArgumentException("feedback record refused: " + own.getMessage(), e);
                }
            }
            throw e;
        }
    }
}
