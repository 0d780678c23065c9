package dev.vigil.stream;

import org.apache.kafka.clients.CommonClientConfigs;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where Kafka is and how to talk to it: the bootstrap servers plus client settings (security protocol, SASL, TLS
 * trust and key stores, ...) read from a properties file such as {@code config/kafka-client.properties}. Every
 * producer, consumer, admin client and the topology start from {@link #config()}, so one file secures them all.
 *
 * @param client Kafka client settings, as in the Kafka documentation ("security.protocol", "sasl.mechanism", ...)
 */
public record KafkaConnection(String bootstrap, Map<String, String> client) {
    public KafkaConnection {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers are empty");
        }
        client = Map.copyOf(client);
    }

    /** A plaintext connection with no further settings (the embedded broker's case). */
    public static KafkaConnection plain(String bootstrap) {
        return new KafkaConnection(bootstrap, Map.of());
    }

    /**
     * @param clientProperties a Java properties file of client settings, or null for none
     * @throws IOException naming the file when it cannot be read
     */
    public static KafkaConnection of(String bootstrap, Path clientProperties) throws IOException {
        if (clientProperties == null) {
            return plain(bootstrap);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(clientProperties)) {
            p.load(r);
        } catch (IOException e) {
            throw new IOException("cannot read Kafka client settings " + clientProperties + ": " + e.getMessage(), e);
        }
        Map<String, String> settings = new HashMap<>();
        p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k).trim()));
        // the command line's --bootstrap wins over a bootstrap.servers in the file
        settings.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return new KafkaConnection(bootstrap, settings);
    }

    /** A fresh, mutable client configuration: the settings plus the bootstrap servers. */
    public Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>(client);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return config;
    }

    @Override
    public String toString() {
        // settings may hold passwords (sasl.jaas.config, ssl.*.password): only the address is shown
        return bootstrap;
    }
}
