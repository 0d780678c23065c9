package dev.vigil.stream;

import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/** Puts a model file on {@link Topics#MODELS} in chunks, idempotently, all acknowledged before it returns. */
public final class ModelPublisher {
    private ModelPublisher() {
    }

    /** @return the number of chunks written */
    public static int publish(KafkaConnection kafka, String camera, Path model, long version, int chunkBytes)
            throws IOException, InterruptedException {
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
        }
        // a chunk the broker did not take leaves the model unusable: say so rather than report success
        if (failure.get() != null) {
            throw new IOException("publishing " + model + " for camera " + camera + " to " + kafka + " failed: "
                    + failure.get().getMessage(), failure.get());
        }
        return sent[0];
    }
}
