package dev.vigil.stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.util.concurrent.ExecutionException;

/** Puts an operator's {@link Feedback} on {@link Topics#FEEDBACK}, acknowledged before it returns. */
public final class FeedbackPublisher {
    private FeedbackPublisher() {
    }

    /** @return the offset it was written at */
    public static long send(KafkaConnection kafka, Feedback feedback) throws IOException, InterruptedException {
        Topics.ensure(kafka);
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 64 * 1024)) {
            return producer.send(new ProducerRecord<>(Topics.FEEDBACK.name(), null, feedback.at(), feedback.camera(),
                    Topics.FEEDBACK.write(feedback))).get().offset();
        } catch (ExecutionException e) {
            throw new IOException("sending feedback on camera " + feedback.camera() + " to " + kafka + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }
}
