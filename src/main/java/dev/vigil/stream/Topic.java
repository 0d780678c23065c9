package dev.vigil.stream;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.Map;
import java.util.function.Function;

/**
 * One of Vigil's topics: its name, partition count, topic configs (see docs/topics.md) and the format of its values.
 * Keys are text everywhere (a camera id, or an alert id on the snapshots topic); values travel as bytes, and
 * {@link #read} / {@link #write} turn them into the topic's records, so that a reader cannot take one topic's
 * records for another's.
 *
 * @param partitions frames, maps and alerts are keyed by camera id, so a camera's records stay in order on one
 *                   partition and the instance scoring that partition holds that camera's model
 * @param <V>        what a value is: {@code byte[]} for frames, chunks, snapshots and status records (read by their
 *                   own classes with their headers), a record class for the JSON topics
 */
public record Topic<V>(String name, int partitions, Map<String, String> configs, Format<V> format) {
    /** How the values of a topic are written and read. */
    public record Format<V>(Function<V, byte[]> writer, Function<byte[], V> reader) {
        /** Values that are bytes as they are: images, model chunks, records read with their headers. */
        public static final Format<byte[]> BYTES = new Format<>(b -> b, b -> b);

        /** Values that are one of Vigil's JSON records ({@link RecordJson}). */
        static <V> Format<V> json(Class<V> type, String what) {
            return new Format<>(RecordJson::write, bytes -> RecordJson.read(bytes, type, what));
        }
    }

    /** The record a value holds. @throws IllegalArgumentException when it is not one */
    public V read(byte[] value) {
        return format.reader().apply(value);
    }

    public byte[] write(V value) {
        return format.writer().apply(value);
    }

    /** Keys are UTF-8 text on every topic. */
    public Serde<String> keySerde() {
        return Serdes.String();
    }

    /** Values on the wire: the processors and clients handle bytes and use {@link #read} and {@link #write}. */
    public Serde<byte[]> wireSerde() {
        return Serdes.ByteArray();
    }
}
