package dev.vigil.stream;

import dev.vigil.broker.EmbeddedBroker;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Models through a real broker: published in chunks, reassembled, verified; a damaged chunk is never used. */
class ModelTopicTest {

    private static Path modelLikeFile(Path dir, int bytes) throws IOException {
        byte[] data = new byte[bytes];
        new Random(3).nextBytes(data);
        return Files.write(dir.resolve("cam.vgm"), data);
    }

    @Test
    void aModelPublishedInChunksIsReassembledExactlyOnTheCamerasPartition(@TempDir Path dir) throws Exception {
        Path model = modelLikeFile(dir, 50_001);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            int chunks = ModelPublisher.publish(broker.connection(), "dock-2", model, 7, 4096);
            assertThat(chunks).isEqualTo(13);
            List<ConsumerRecord<String, byte[]>> records = consume(broker.bootstrap(), chunks);
            int partition = ModelRecords.partitionFor("dock-2", Topics.PARTITIONS);
            assertThat(records).allSatisfy(r -> assertThat(r.partition()).isEqualTo(partition));
            ModelAssembler assembler = new ModelAssembler(dir.resolve("models"));
            Optional<ModelAssembler.Assembled> done = Optional.empty();
            for (ConsumerRecord<String, byte[]> r : records) {
                done = assembler.accept(ModelRecords.fromRecord(r));
            }
            assertThat(done).isPresent();
            assertThat(done.get().version()).isEqualTo(7);
            assertThat(Files.readAllBytes(done.get().file())).isEqualTo(Files.readAllBytes(model));
        }
    }

    @Test
    void aDamagedChunkIsRefusedAndTheModelNeverHandedOut(@TempDir Path dir) throws Exception {
        Path model = modelLikeFile(dir, 10_000);
        List<ModelChunk> chunks = new ArrayList<>();
        ModelChunks.split(model, "cam-9", 3, 4096, chunks::add);
        chunks.get(1).data()[17] ^= 1;
        ModelAssembler assembler = new ModelAssembler(dir.resolve("models"));
        assertThat(assembler.accept(chunks.get(0))).isEmpty();
        assertThat(assembler.accept(chunks.get(1))).isEmpty();
        assertThatThrownBy(() -> assembler.accept(chunks.get(2)))
                .hasMessageContaining("camera cam-9").hasMessageContaining("version 3").hasMessageContaining("checksum");
        try (var files = Files.list(dir.resolve("models"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aNewerVersionReplacesAnUnfinishedOneAndOlderChunksAreIgnored(@TempDir Path dir) throws Exception {
        Path model = modelLikeFile(dir, 9000);
        List<ModelChunk> v1 = new ArrayList<>();
        List<ModelChunk> v2 = new ArrayList<>();
        ModelChunks.split(model, "cam", 1, 4096, v1::add);
        ModelChunks.split(model, "cam", 2, 4096, v2::add);
        ModelAssembler assembler = new ModelAssembler(dir.resolve("models"));
        assembler.accept(v1.get(0));
        assembler.accept(v2.get(0));
        assembler.accept(v2.get(1));
        assertThat(assembler.accept(v1.get(1))).isEmpty();
        assertThat(assembler.accept(v2.get(2))).hasValueSatisfying(a -> assertThat(a.version()).isEqualTo(2));
        assertThat(assembler.accept(v1.get(2))).isEmpty();
    }

    @Test
    void aChunkWhoseSizeContradictsItsHeaderIsRefused(@TempDir Path dir) throws Exception {
        ModelAssembler assembler = new ModelAssembler(dir.resolve("models"));
        ModelChunk wrong = new ModelChunk("cam", 1, 0, 2, 4096, 5000, "00", new byte[100]);
        assertThatThrownBy(() -> assembler.accept(wrong)).hasMessageContaining("holds 100 bytes, expected 4096");
    }

    private static List<ConsumerRecord<String, byte[]>> consume(String bootstrap, int expected) {
        List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "model-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            // read the topic directly, without a consumer group: the test is about the records
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(Topics.MODELS.name()).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.size() >= expected;
            });
        }
        return seen;
    }
}
