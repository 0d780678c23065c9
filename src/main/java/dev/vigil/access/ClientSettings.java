package dev.vigil.access;

import dev.vigil.tls.KeyStores;
import dev.vigil.files.PrivateFiles;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka client settings for a secured cluster, as the {@code --kafka-config} files of Vigil's commands hold them:
 * SASL_SSL with a SCRAM-SHA-512 user, or mutual TLS with a client certificate; both verify the broker against a
 * trust store and its host name.
 */
public final class ClientSettings {
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ClientSettings() {
    }

    /** A trust store and its password. */
    public record Store(Path file, String password) {
    }

    /** SASL_SSL as {@code user}: the settings a role's SCRAM file holds. */
    public static Map<String, String> scram(String user, String password, Store trust) {
        if (!user.matches("[A-Za-z0-9._-]+") || !password.matches("[^\"\\\\]+")) {
            throw new IllegalArgumentException("a SCRAM user is letters, digits, '.', '_' and '-', and a password "
                    + "holds no quote or backslash");
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("security.protocol", "SASL_SSL");
        s.put("sasl.mechanism", SCRAM_MECHANISM);
        s.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        trust(s, trust);
        return s;
    }

    /** SSL with a client certificate (mutual TLS): the principal is the certificate's CN. */
    public static Map<String, String> mutualTls(Store key, Store trust) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("security.protocol", "SSL");
        s.put("ssl.keystore.type", KeyStores.TYPE);
        s.put("ssl.keystore.location", key.file().toAbsolutePath().toString());
        s.put("ssl.keystore.password", key.password());
        s.put("ssl.key.password", key.password());
        trust(s, trust);
        return s;
    }

    private static void trust(Map<String, String> s, Store trust) {
        s.put("ssl.truststore.type", KeyStores.TYPE);
        s.put("ssl.truststore.location", trust.file().toAbsolutePath().toString());
        s.put("ssl.truststore.password", trust.password());
    }

    /** Writes the settings as a properties file only its owner can read. */
    public static void write(Path file, Map<String, String> settings, String comment) throws IOException {
        Properties p = new Properties();
        settings.forEach(p::setProperty);
        StringWriter text = new StringWriter();
        p.store(text, comment);
        PrivateFiles.write(file, text.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A random password of 32 URL-safe characters (192 bits). */
    public static String randomPassword() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
