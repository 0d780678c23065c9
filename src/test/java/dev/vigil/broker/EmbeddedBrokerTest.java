package dev.vigil.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EmbeddedBrokerTest {

    @Test
    void aRecordProducedToTheEmbeddedBrokerIsConsumedBackAndSurvivesARestart(@TempDir Path data) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(data, 0)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
                admin.createTopics(List.of(new NewTopic("t", 2, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("t", "cam-1", "hello")).get();
            }
            assertThat(consumeAll(broker.bootstrap())).containsExactly("cam-1=hello");
        }
        // same data directory: the topic and its record are still there
        try (EmbeddedBroker broker = EmbeddedBroker.start(data, 0)) {
            assertThat(consumeAll(broker.bootstrap())).containsExactly("cam-1=hello");
        }
    }

    @Test
    void theDataDirectoryIsOwnerOnlyEvenWhenItExistedOpen(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vigil.files.PrivateFiles.posix(tmp));
        Path data = java.nio.file.Files.createDirectory(tmp.resolve("kafka"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        try (EmbeddedBroker broker = EmbeddedBroker.start(data, 0)) {
            // Kafka's own files inside follow the umask; the folder above them is closed, so none can be reached
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
        }
    }

    @Test
    void vigilsTopicsAreCreatedOnceWithTheirConfigs(@TempDir Path data) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(data, 0);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
            // no replication factor given: the broker's default.replication.factor, 1 on the embedded broker
            assertThat(dev.vigil.stream.Topics.ensure(admin, java.util.Optional.empty())).hasSize(dev.vigil.stream.Topics.ALL.size());
            assertThat(dev.vigil.stream.Topics.ensure(admin, java.util.Optional.of((short) 1))).isEmpty();
            var models = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, dev.vigil.stream.Topics.MODELS.name());
            var config = admin.describeConfigs(List.of(models)).all().get().get(models);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            var frames = admin.describeTopics(List.of(dev.vigil.stream.Topics.FRAMES.name())).allTopicNames().get()
                    .get(dev.vigil.stream.Topics.FRAMES.name());
            assertThat(frames.partitions()).hasSize(dev.vigil.stream.Topics.PARTITIONS);
            assertThat(frames.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1));
        }
    }

    @Test
    void theTopicsKeepWhatShowsPeopleAsLongAsAskedAndALongerOneIsNamed(@TempDir Path data) throws Exception {
        var asked = new dev.vigil.stream.Retention(Duration.ofHours(1), Duration.ofDays(2), Duration.ofDays(3),
                Duration.ofDays(10), Duration.ofDays(1));
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        var log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(dev.vigil.stream.Topics.class);
        appender.start();
        log.addAppender(appender);
        try (EmbeddedBroker broker = EmbeddedBroker.start(data, 0);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
            dev.vigil.stream.Topics.ensure(broker.connection(), asked);
            Map<String, String> retention = new java.util.TreeMap<>();
            for (var topic : dev.vigil.stream.Topics.ALL) {
                var resource = new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic.name());
                retention.put(topic.name(), admin.describeConfigs(List.of(resource)).all().get().get(resource)
                        .get("retention.ms").value());
            }
            assertThat(retention).containsEntry("vigil.frames", "3600000")
                    .containsEntry("vigil.anomaly-maps", String.valueOf(2 * 86_400_000L))
                    .containsEntry("vigil.snapshots", String.valueOf(3 * 86_400_000L))
                    .containsEntry("vigil.alerts", String.valueOf(10 * 86_400_000L))
                    .containsEntry("vigil.dead-letters", "86400000");
            assertThat(appender.list).noneMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN);

            // asked for less than the topics keep: not changed behind the operator's back, but named with the fix
            dev.vigil.stream.Topics.ensure(broker.connection(), new dev.vigil.stream.Retention(Duration.ofMinutes(30),
                    Duration.ofDays(2), Duration.ofDays(3), Duration.ofDays(10), Duration.ofDays(1)));
            assertThat(appender.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                            .contains("vigil.frames keeps records PT1H but PT30M is asked")
                            .contains("kafka-configs.sh --alter --entity-type topics --entity-name vigil.frames "
                                    + "--add-config retention.ms=1800000"));
        } finally {
            log.detachAppender(appender);
        }
        // the defaults: a day of frames, a week of pictures
        assertThat(dev.vigil.stream.Retention.DEFAULT.frames()).isEqualTo(Duration.ofHours(24));
        assertThat(dev.vigil.stream.Topics.SNAPSHOTS.configs()).containsEntry("retention.ms", "604800000");
    }

    private static List<String> consumeAll(String bootstrap) {
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("t"));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.key() + "=" + r.value());
                }
                return !seen.isEmpty();
            });
        }
        return seen;
    }
}
