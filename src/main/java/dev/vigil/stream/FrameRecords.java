package dev.vigil.stream;

import dev.vigil.untrusted.CameraId;
import dev.vigil.untrusted.LogText;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;


/**
 * Frames as records of {@link Topics#FRAMES} (docs/topics.md): key the camera id, value the encoded image, record
 * timestamp the capture time, and the rest in UTF-8 headers.
 */
public final class FrameRecords {
    static final String SEQ = "vigil.seq";
    static final String CODEC = "vigil.codec";
    static final String WIDTH = "vigil.width";
    static final String HEIGHT = "vigil.height";
    static final String SOURCE = "vigil.source";
    static final String SOURCE_FRAME = "vigil.source.frame";
    static final String LIVE = "vigil.live";

    /**
     * A frame as it travels.
     *
     * @param seq          per-camera sequence number, from 0, without gaps
     * @param captureMillis capture time, epoch milliseconds
     * @param sourceFrame  0-based frame index in the source
     * @param live         from a live camera (a late frame may be skipped), not recorded footage (every frame counts)
     */
    public record Frame(String camera, long seq, long captureMillis, String codec, int width, int height,
                        String source, long sourceFrame, byte[] image, boolean live) {
        /** A frame of recorded footage. */
        public Frame(String camera, long seq, long captureMillis, String codec, int width, int height, String source,
                     long sourceFrame, byte[] image) {
            this(camera, seq, captureMillis, codec, width, height, source, sourceFrame, image, false);
        }
    }

    private FrameRecords() {
    }

    public static ProducerRecord<String, byte[]> toRecord(Frame f) {
        RecordHeaders headers = new RecordHeaders();
        TextHeaders.add(headers, SEQ, Long.toString(f.seq()));
        TextHeaders.add(headers, CODEC, f.codec());
        TextHeaders.add(headers, WIDTH, Integer.toString(f.width()));
        TextHeaders.add(headers, HEIGHT, Integer.toString(f.height()));
        TextHeaders.add(headers, SOURCE, f.source());
        TextHeaders.add(headers, SOURCE_FRAME, Long.toString(f.sourceFrame()));
        if (f.live()) {
            TextHeaders.add(headers, LIVE, "true");
        }
        return new ProducerRecord<>(Topics.FRAMES.name(), null, f.captureMillis(), f.camera(), f.image(), headers);
    }

    /** @throws IllegalArgumentException naming what is missing or malformed (such a record goes to dead letters) */
    public static Frame fromRecord(ConsumerRecord<String, byte[]> r) {
        return fromParts(r.key(), r.value(), r.timestamp(), r.headers());
    }

    /** Frames wider or taller than this are refused from their headers alone (FFmpeg's own limit is 16384). */
    public static final int MAX_SIDE = 16384;
    /** Longer source names are refused: a source is copied into every anomaly map record of the frame. */
    public static final int MAX_SOURCE_CHARS = 1024;

    /**
     * As {@link #fromRecord}, from a record's parts (Kafka Streams' processor API). Every header is checked here, as
     * it comes from whoever could write to the topic: the key is a valid camera id ({@link CameraId}), the sizes are
     * positive and at most {@link #MAX_SIDE}, the sequence number and source frame are not negative, the codec is
     * jpeg or png, and the source is at most {@link #MAX_SOURCE_CHARS} characters. Values are quoted escaped in the
     * message.
     */
    public static Frame fromParts(String key, byte[] value, long timestamp, Headers headers) {
        String badKey = CameraId.problem(key);
        if (badKey != null) {
            throw new InvalidKeyException("frame record refused: " + badKey);
        }
        if (value == null || value.length == 0) {
            throw new IllegalArgumentException("frame record of camera " + key + " has no image");
        }
        String record = "frame record of camera " + key;
        long seq = number(headers, SEQ, record, 0, Long.MAX_VALUE);
        String codec = TextHeaders.required(headers, CODEC, record);
        if (!codec.startsWith("jpeg") && !codec.equals("png")) {
            throw new IllegalArgumentException(record + " has header " + CODEC + " " + LogText.quote(codec)
                    + ", not jpeg:Q or png");
        }
        int width = (int) number(headers, WIDTH, record, 1, MAX_SIDE);
        int height = (int) number(headers, HEIGHT, record, 1, MAX_SIDE);
        String source = TextHeaders.required(headers, SOURCE, record);
        if (source.length() > MAX_SOURCE_CHARS) {
            throw new IllegalArgumentException(record + " has a header " + SOURCE + " of " + source.length()
                    + " characters, more than " + MAX_SOURCE_CHARS);
        }
        long sourceFrame = number(headers, SOURCE_FRAME, record, 0, Long.MAX_VALUE);
        return new Frame(key, seq, timestamp, codec, width, height, source, sourceFrame, value,
                headers.lastHeader(LIVE) != null);
    }

    /** A frame record whose key is not a camera id: refused before anything is kept for that key. */
    public static final class InvalidKeyException extends IllegalArgumentException {
        InvalidKeyException(String message) {
            super(message);
        }
    }

    private static long number(Headers headers, String name, String record, long min, long max) {
        String text = TextHeaders.required(headers, name, record);
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(record + " has a malformed header " + name + ": "
                    + LogText.quote(text) + " is not a number", e);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(record + " has header " + name + " = " + v + ", outside " + min
                    + ".." + max);
        }
        return v;
    }

}
