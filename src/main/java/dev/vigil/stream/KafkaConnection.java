package dev.vigil.stream;

import dev.vigil.secrets.Redaction;
import org.apache.kafka.clients.CommonClientConfigs;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where Kafka is and how to talk to it: the bootstrap servers plus client settings (security protocol, SASL, TLS
 * trust and key stores, ...) read from a properties file such as {@code config/kafka-client.properties}. Every
 * producer, consumer, admin client and the topology start from {@link #config()}, so one file secures them all.
 *
 * @param client Kafka client settings, as in the Kafka documentation ("security.protocol", "sasl.mechanism", ...)
 */
public record KafkaConnection(String bootstrap, Map<String, String> client) {
    /** A setting's name, then its separator (or the end of the line: an empty value). */
    private static final Pattern SETTING_NAME = Pattern.compile("([A-Za-z0-9._-]+)(\\s*[=:]|\\s|$)");
    /** A name without a dot that is a JAAS login module's option or a secret's, no Kafka setting. */
    private static final Pattern JAAS_OPTION = Pattern.compile("(?i)[^.]*(user|password|passwd|secret|token)[^.]*");

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
        } catch (IOException | IllegalArgumentException e) {
            // not chained, and redacted: the file holds passwords (a bad unicode escape is an IllegalArgumentException)
            throw new IOException("cannot read Kafka client settings " + clientProperties + ": "
                    + Redaction.text(e.getMessage()));
        }
        int notASetting = lineNotASetting(Files.readAllLines(clientProperties));
        if (notASetting > 0) {
            // the line itself is not quoted: most likely it is the rest of a password
            throw new IOException("Kafka client settings " + clientProperties + ", line " + notASetting
                    + ": not a setting (name=value, the name such as sasl.jaas.config); a value continued on the next "
                    + "line needs a backslash at the end of the line before");
        }
        Map<String, String> settings = new HashMap<>();
        p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k).trim()));
        // the command line's --bootstrap wins over a bootstrap.servers in the file
        settings.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return new KafkaConnection(bootstrap, settings);
    }

    /**
     * The first line (from 1) whose name is no setting's, or 0: the continuation of a {@code sasl.jaas.config}
     * without its backslash reads as a setting named {@code password} or {@code username="vigil"}, which the client
     * would ignore, logging the name, and then fail to authenticate. A name holds letters, digits, dots, dashes and
     * underscores; Kafka's own secrets all have dotted names ({@code ssl.key.password}), so a bare {@code password}
     * or {@code username} is a JAAS option out of its place.
     * Logical lines as {@link Properties#load(Reader)} reads them: a line ending in an odd number of backslashes
     * goes on into the next; a comment never does.
     */
    private static int lineNotASetting(List<String> lines) {
        boolean continued = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String text = line.stripLeading();
            boolean starts = !continued;
            boolean comment = starts && (text.startsWith("#") || text.startsWith("!"));
            int backslashes = 0;
            for (int j = line.length() - 1; j >= 0 && line.charAt(j) == '\\'; j--) {
                backslashes++;
            }
            continued = !comment && backslashes % 2 == 1;
            if (starts && !comment && !text.isEmpty()) {
                Matcher name = SETTING_NAME.matcher(text);
                if (!name.lookingAt() || JAAS_OPTION.matcher(name.group(1)).matches()) {
                    return i + 1;
                }
            }
        }
        return 0;
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
