package dev.vigil.stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Map;

/** The one producer configuration of Vigil's writers (frames, camera status, model chunks). */
public final class Producers {
    private Producers() {
    }

    /**
     * Idempotent, acknowledged by all replicas, one request in flight. With several in flight, a first
     * NOT_LEADER_OR_FOLLOWER on a just-created partition left the idempotent producer retrying with
     * OUT_OF_ORDER_SEQUENCE forever (seen on the embedded KRaft 4.1.1 broker, model and status topics); with one
     * in flight a retry resends only the batch that failed, so order and exactly-once writes hold.
     */
    public static KafkaProducer<String, byte[]> create(KafkaConnection kafka, int maxRequestBytes) {
        Map<String, Object> config = kafka.config();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }
}
