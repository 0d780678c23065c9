package dev.vigil.stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Puts a model file on {@link Topics#MODELS} in chunks, idempotently, all acknowledged before it returns; then
 * tombstones the chunks of the camera's versions past the retention (the newest {@link #DEFAULT_KEEP} complete ones
 * and the active one stay, for a rollback). Also writes activation records.
 */
public final class ModelPublisher {
    /** Versions of a camera's model kept on the topic: a 56x56, d=100 model is 65 MB. */
    public static final int DEFAULT_KEEP = 3;

    private ModelPublisher() {
    }

    /** @return the number of chunks written */
    public static int publish(KafkaConnection kafka, String camera, Path model, long version, int chunkBytes)
            throws IOException, InterruptedException {
        return publish(kafka, camera, model, version, chunkBytes, DEFAULT_KEEP);
    }

    /**
     * @param keep complete versions of the camera's model to keep on the topic, this one included (at least 1)
     * @return the number of chunks written
     */
    public static int publish(KafkaConnection kafka, String camera, Path model, long version, int chunkBytes, int keep)
            throws IOException, InterruptedException {
        if (keep < 1) {
            throw new IllegalArgumentException("versions to keep must be at least 1, got " + keep);
        }
        dev.vigil.untrusted.CameraId.require(camera);
        int[] sent = {0};
        AtomicReference<Exception> failure = new AtomicReference<>();
        Topics.ensure(kafka);
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, chunkBytes + 64 * 1024)) {
            int partitions = producer.partitionsFor(Topics.MODELS.name()).size();
            ModelChunks.split(model, camera, version, chunkBytes, chunk -> {
                producer.send(ModelRecords.toRecord(chunk, partitions), (meta, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                sent[0]++;
            });
            producer.flush();
            // a chunk the broker did not take leaves the model unusable: say so rather than report success
            if (failure.get() != null) {
                throw new IOException("publishing " + model + " for camera " + camera + " to " + kafka + " failed: "
                        + failure.get().getMessage(), failure.get());
            }
            List<ProducerRecord<String, byte[]>> tombstones = new ArrayList<>();
            for (ModelVersions.Version old : ModelVersions.read(kafka, camera).beyond(keep)) {
                old.keys().forEach(k -> tombstones.add(ModelRecords.tombstone(camera, k, partitions)));
            }
            send(producer, tombstones, "retiring old versions of camera " + camera + "'s model on " + kafka);
        }
        return sent[0];
    }

    /** Writes an activation record (docs/topics.md), acknowledged before it returns. */
    public static void activate(KafkaConnection kafka, String camera, long version)
            throws IOException, InterruptedException {
        control(kafka, ModelRecords.Control.activate(camera, version), "activating version " + version + " of camera "
                + camera + " on " + kafka);
    }

    /**
     * Writes a shadow record: the camera is scored with {@code version} beside its active model (0: no longer).
     * Written before a version's chunks, it keeps that version from becoming active when complete.
     */
    public static void shadow(KafkaConnection kafka, String camera, long version)
            throws IOException, InterruptedException {
        control(kafka, ModelRecords.Control.shadow(camera, version), (version > 0 ? "shadowing version " + version
                : "ending the shadow") + " of camera " + camera + " on " + kafka);
    }

    private static void control(KafkaConnection kafka, ModelRecords.Control control, String what)
            throws IOException, InterruptedException {
        Topics.ensure(kafka);
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 64 * 1024)) {
            int partitions = producer.partitionsFor(Topics.MODELS.name()).size();
            send(producer, List.of(ModelRecords.toRecord(control, System.currentTimeMillis(), partitions)), what);
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, List<ProducerRecord<String, byte[]>> records,
                             String what) throws IOException {
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        records.forEach(r -> acks.add(producer.send(r)));
        producer.flush();
        for (var ack : acks) {
            try {
                ack.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(what + " was interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException(what + " failed: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }
}
