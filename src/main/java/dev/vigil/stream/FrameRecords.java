package dev.vigil.stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

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

    /**
     * A frame as it travels.
     *
     * @param seq          per-camera sequence number, from 0, without gaps
     * @param captureMillis capture time, epoch milliseconds
     * @param sourceFrame  0-based frame index in the source
     */
    public record Frame(String camera, long seq, long captureMillis, String codec, int width, int height,
                        String source, long sourceFrame, byte[] image) {
    }

    private FrameRecords() {
    }

    public static ProducerRecord<String, byte[]> toRecord(Frame f) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(SEQ, bytes(Long.toString(f.seq())));
        headers.add(CODEC, bytes(f.codec()));
        headers.add(WIDTH, bytes(Integer.toString(f.width())));
        headers.add(HEIGHT, bytes(Integer.toString(f.height())));
        headers.add(SOURCE, bytes(f.source()));
        headers.add(SOURCE_FRAME, bytes(Long.toString(f.sourceFrame())));
        return new ProducerRecord<>(Topics.FRAMES.name(), null, f.captureMillis(), f.camera(), f.image(), headers);
    }

    /** @throws IllegalArgumentException naming what is missing or malformed (such a record goes to dead letters) */
    public static Frame fromRecord(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            throw new IllegalArgumentException("frame record at " + r.topic() + "-" + r.partition() + "@" + r.offset()
                    + " has no " + (r.key() == null ? "camera key" : "image"));
        }
        try {
            return new Frame(r.key(), Long.parseLong(header(r, SEQ)), r.timestamp(), header(r, CODEC),
                    Integer.parseInt(header(r, WIDTH)), Integer.parseInt(header(r, HEIGHT)), header(r, SOURCE),
                    Long.parseLong(header(r, SOURCE_FRAME)), r.value());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("frame record of camera " + r.key() + " has a malformed header: "
                    + e.getMessage(), e);
        }
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        if (h == null || h.value() == null) {
            throw new IllegalArgumentException("frame record of camera " + r.key() + " lacks header " + name);
        }
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
