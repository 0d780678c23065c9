package dev.vigil.stream;

import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.nio.file.Path;

/** Puts a model file on {@link Topics#MODELS} in chunks, idempotently, all acknowledged before it returns. */
public final class ModelPublisher {
    private ModelPublisher() {
    }

    /** @return the number of chunks written */
    public static int publish(String bootstrap, String camera, Path model, long version, int chunkBytes)
            throws IOException, InterruptedException {
        int[] sent = {0};
        Topics.ensure(bootstrap);
        try (KafkaProducer<String, byte[]> producer = Producers.create(bootstrap, chunkBytes + 64 * 1024)) {
            int partitions = producer.partitionsFor(Topics.MODELS.name()).size();
            ModelChunks.split(model, camera, version, chunkBytes, chunk -> {
                producer.send(ModelRecords.toRecord(chunk, partitions));
                sent[0]++;
            });
            producer.flush();
        }
        return sent[0];
    }
}
