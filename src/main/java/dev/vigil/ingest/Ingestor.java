package dev.vigil.ingest;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live ingest of several cameras into Kafka: one {@link CameraIngest} thread per camera sharing one idempotent
 * producer. Closing stops every camera, then flushes and closes the producer.
 */
public final class Ingestor implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final List<CameraIngest> cameras = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private Ingestor(KafkaProducer<String, byte[]> producer) {
        this.producer = producer;
    }

    public static Ingestor start(String bootstrap, List<CameraIngest.Settings> settings) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
        // with several requests in flight, the embedded KRaft 4.1.1 broker answered the cameras' interleaved status
        // records (compacted topic) with OUT_OF_ORDER_SEQUENCE on every retry; one in flight keeps idempotence and order
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        Ingestor ingestor = new Ingestor(new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()));
        for (CameraIngest.Settings s : settings) {
            CameraIngest camera = new CameraIngest(s, ingestor.producer);
            Thread thread = new Thread(camera, "vigil-ingest-" + s.camera());
            thread.setDaemon(true);
            ingestor.cameras.add(camera);
            ingestor.threads.add(thread);
            thread.start();
        }
        return ingestor;
    }

    /** Waits until every camera's loop has ended (file sources end; live ones run until {@link #close}). */
    public void awaitEnd() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    public long published() {
        return cameras.stream().mapToLong(CameraIngest::published).sum();
    }

    @Override
    public void close() throws InterruptedException {
        cameras.forEach(CameraIngest::stop);
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            t.join(10_000);
        }
        producer.close();
    }
}
