package dev.vigil.ingest;

import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Live ingest of several cameras into Kafka: one {@link CameraIngest} thread per camera sharing one idempotent
 * producer. Closing stops every camera, then flushes and closes the producer.
 */
public final class Ingestor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);
    private final KafkaProducer<String, byte[]> producer;
    private final List<CameraIngest> cameras = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private Ingestor(KafkaProducer<String, byte[]> producer) {
        this.producer = producer;
    }

    public static Ingestor start(KafkaConnection kafka, List<CameraIngest.Settings> settings)
            throws IOException, InterruptedException {
        Topics.ensure(kafka);
        Ingestor ingestor = new Ingestor(Producers.create(kafka, 8 << 20));
        for (CameraIngest.Settings s : settings) {
            LOG.info("camera {}: {} at {} fps as {} to {}", s.camera(), s.redactedSource(),
                    s.targetFps() > 0 ? s.targetFps() : "every frame's", s.codec(), kafka);
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

    /** Frames acknowledged by the broker, all cameras together. */
    public long published() {
        return cameras.stream().mapToLong(CameraIngest::published).sum();
    }

    /** Frames whose send failed, all cameras together. */
    public long failed() {
        return cameras.stream().mapToLong(CameraIngest::failed).sum();
    }

    /** Each camera's loop, in the order given, for its own counts. */
    public List<CameraIngest> cameras() {
        return List.copyOf(cameras);
    }

    @Override
    public void close() throws InterruptedException {
        // stop() ends a back-off wait at once and a read within the network timeout (5 s); an interrupt would also
        // break a producer flush midway and leave "interrupted" as the camera's last status
        cameras.forEach(CameraIngest::stop);
        for (Thread t : threads) {
            t.join(10_000);
        }
        producer.close();
    }
}
