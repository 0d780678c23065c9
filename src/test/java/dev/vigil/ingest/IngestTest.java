package dev.vigil.ingest;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Ingest against a real broker: rate sampling, status records, and a dead camera retried beside a live one. */
class IngestTest {

    @Test
    void aDeadCameraIsRetriedWithBackOffWhileAnotherCameraKeepsDelivering(@TempDir Path dir) throws Exception {
        Path clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(96, 64, 40, 8, -1, -1), 10);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            FrameCodec jpeg = FrameCodec.parse("jpeg:85");
            List<CameraIngest.Settings> cameras = List.of(
                    new CameraIngest.Settings("dead", "rtsp://127.0.0.1:1/none", 5, jpeg, Duration.ofMillis(50),
                            Duration.ofMillis(200)),
                    new CameraIngest.Settings("gate", clip.toString(), 5, jpeg, Duration.ofMillis(50),
                            Duration.ofMillis(200)));
            List<CameraStatus> statuses = new ArrayList<>();
            List<FrameRecords.Frame> frames = new ArrayList<>();
            try (Ingestor ingestor = Ingestor.start(broker.connection(), cameras);
                 KafkaConsumer<String, byte[]> consumer = consumer(broker.bootstrap())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.topic().equals(Topics.CAMERA_STATUS.name())) {
                            statuses.add(CameraStatus.fromJson(r.value()));
                        } else {
                            frames.add(FrameRecords.fromRecord(r));
                        }
                    }
                    return frames.size() >= 20 && statuses.stream().filter(s -> s.camera().equals("dead")).count() >= 3
                            && statuses.stream().anyMatch(s -> s.camera().equals("gate") && s.state().equals("offline"));
                });
            }
            List<CameraStatus> dead = statuses.stream().filter(s -> s.camera().equals("dead")).toList();
            assertThat(dead).allSatisfy(s -> {
                assertThat(s.state()).isEqualTo("offline");
                assertThat(s.reason()).contains("rtsp://127.0.0.1:1/none");
            });
            assertThat(dead.subList(0, 3)).extracting(CameraStatus::attempt).containsExactly(1, 2, 3);
            // the live camera: online, 5 of every 10 fps frames kept, then the end of its file
            assertThat(statuses.stream().filter(s -> s.camera().equals("gate")).map(CameraStatus::state))
                    .containsExactly("online", "offline");
            assertThat(frames).hasSize(20).allSatisfy(f -> assertThat(f.camera()).isEqualTo("gate"));
            assertThat(frames).extracting(FrameRecords.Frame::sourceFrame)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 20).map(i -> 2 * i).boxed().toList());
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.FRAMES.name(), Topics.CAMERA_STATUS.name())) {
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }
}
