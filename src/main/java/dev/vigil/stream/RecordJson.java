package dev.vigil.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON of Vigil's records (alerts, anomaly maps, shadow scores, model states): one mapper, so every record is
 * written and read alike. Fields a newer Vigil adds are ignored by an older reader, so subscribers and scorers can be
 * upgraded in any order; a value that is not the record's JSON is refused naming the record.
 */
final class RecordJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RecordJson() {
    }

    static byte[] write(Object record) {
        try {
            return JSON.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException "{@code what} is not valid JSON: ..." */
    static <T> T read(byte[] value, Class<T> type, String what) {
        try {
            return JSON.readValue(value, type);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
