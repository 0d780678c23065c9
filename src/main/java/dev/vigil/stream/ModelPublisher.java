package dev.vigil.stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Puts a model file on {@link Topics#MODELS} in chunks, idempotently, all acknowledged before it returns. */
public final class ModelPublisher {
    private ModelPublisher() {
    }

    /** @return the number of chunks written */
    public static int publish(String bootstrap, String camera, Path model, long version, int chunkBytes)
            throws IOException, InterruptedException {
        int[] sent = {0};
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Topics.ensure(admin, (short) 1);
            int partitions = admin.describeTopics(java.util.List.of(Topics.MODELS.name())).allTopicNames().get()
                    .get(Topics.MODELS.name()).partitions().size();
            try (KafkaProducer<String, byte[]> producer = Producers.create(bootstrap, chunkBytes + 64 * 1024)) {
                ModelChunks.split(model, camera, version, chunkBytes, chunk -> {
                    producer.send(ModelRecords.toRecord(chunk, partitions));
                    sent[0]++;
                });
                producer.flush();
            }
        } catch (ExecutionException | UncheckedIOException e) {
            throw new IOException("publishing " + model + " for camera " + camera + " to " + bootstrap + " failed: "
                    + e.getCause().getMessage(), e);
        }
        return sent[0];
    }
}
