package dev.vigil.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/** Vigil's record headers are UTF-8 text, so that kcat and kafka-console-consumer print them as they are. */
final class TextHeaders {
    private TextHeaders() {
    }

    static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The header's text, or null when absent. */
    static String get(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * @param record the record in words, for the error: "frame record of camera gate"
     * @throws IllegalArgumentException naming the record and the header when it is absent
     */
    static String required(Headers headers, String name, String record) {
        String value = get(headers, name);
        if (value == null) {
            throw new IllegalArgumentException(record + " lacks header " + name);
        }
        return value;
    }
}
