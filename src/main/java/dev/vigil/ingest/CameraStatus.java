package dev.vigil.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * A camera's state on {@link Topics#CAMERA_STATUS} (compacted: the latest per camera stays). Key the camera id,
 * value this record as JSON (docs/topics.md).
 *
 * @param state   "online" or "offline"
 * @param reason  why it went offline (the decoder's message), or null
 * @param attempt connection attempts since the camera was last online (0 when online)
 * @param at      when, epoch milliseconds
 */
public record CameraStatus(String camera, String state, String source, String reason, int attempt, long at) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ProducerRecord<String, byte[]> toRecord() {
        try {
            return new ProducerRecord<>(Topics.CAMERA_STATUS.name(), null, at, camera, JSON.writeValueAsBytes(this));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static CameraStatus fromJson(byte[] value) {
        try {
            return JSON.readValue(new String(value, StandardCharsets.UTF_8), CameraStatus.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("camera status record is not valid JSON: " + e.getMessage(), e);
        }
    }
}
