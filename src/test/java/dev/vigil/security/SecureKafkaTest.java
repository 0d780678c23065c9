package dev.vigil.security;

import dev.vigil.access.Role;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.stream.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SecureKafkaTest {
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        broker = EmbeddedBroker.startSecure(dir.resolve("broker"), 0, 0);
        System.out.println("secure broker up in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        Topics.ensure(broker.connection());
        System.out.println("topics in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void smoke() throws Exception {
        assertThat(Topics.ensure(broker.connection(Role.INGEST))).isEmpty();
    }
}
