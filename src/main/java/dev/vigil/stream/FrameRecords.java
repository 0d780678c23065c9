package dev.vigil.stream;

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

    /** As {@link #fromRecord}, from a record's parts (Kafka Streams' processor API). */
    public static Frame fromParts(String key, byte[] value, long timestamp, Headers headers) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("frame record has no " + (key == null ? "camera key" : "image"));
        }
        try {
            return new Frame(key, Long.parseLong(TextHeaders.required(headers, SEQ, "frame record of camera " + key)), timestamp, TextHeaders.required(headers, CODEC, "frame record of camera " + key),
                    Integer.parseInt(TextHeaders.required(headers, WIDTH, "frame record of camera " + key)), Integer.parseInt(TextHeaders.required(headers, HEIGHT, "frame record of camera " + key)),
                    TextHeaders.required(headers, SOURCE, "frame record of camera " + key), Long.parseLong(TextHeaders.required(headers, SOURCE_FRAME, "frame record of camera " + key)), value,
                    headers.lastHeader(LIVE) != null);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("frame record of camera " + key + " has a malformed header: "
                    + e.getMessage(), e);
        }
    }

}
