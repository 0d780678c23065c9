package dev.vigil.ingest;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoFrames;
import dev.vigil.media.VideoWriter;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Replay through a real broker: every frame once, in order, with the video's timing and, in PNG, its exact pixels. */
class ReplayTest {

    @Test
    void everyFrameOfAClipArrivesOnceInOrderWithItsExactPixels(@TempDir Path dir) throws Exception {
        Path clip = dir.resolve("clip.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(96, 64, 24, 5, -1, -1), 10);
        List<RgbImage> decoded = VideoFrames.readAll(clip);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            long n = Replayer.replay(broker.connection(), "lobby", clip.toString(), FrameCodec.parse("png"), 0);
            assertThat(n).isEqualTo(24);
            List<FrameRecords.Frame> frames = consume(broker.bootstrap(), 24);
            assertThat(frames).extracting(FrameRecords.Frame::seq).containsExactlyElementsOf(
                    java.util.stream.LongStream.range(0, 24).boxed().toList());
            assertThat(frames).allSatisfy(f -> {
                assertThat(f.camera()).isEqualTo("lobby");
                assertThat(f.codec()).isEqualTo("png");
                assertThat(f.width()).isEqualTo(96);
            });
            // 10 fps: capture times 100 ms apart, from the video's timestamps
            assertThat(frames.get(23).captureMillis() - frames.get(0).captureMillis()).isBetween(2200L, 2400L);
            for (int i = 0; i < 24; i++) {
                assertThat(FrameCodec.decode(frames.get(i).image()).pixels()).isEqualTo(decoded.get(i).pixels());
            }
        }
    }

    @Test
    void jpegFramesDecodeAndBadCodecsAreExplained() throws Exception {
        RgbImage image = SyntheticScene.generate(64, 48, 1, 2, -1, -1).get(0);
        FrameCodec jpeg = FrameCodec.parse("jpeg:80");
        RgbImage back = FrameCodec.decode(jpeg.encode(image));
        assertThat(back.width()).isEqualTo(64);
        assertThat(jpeg.toString()).isEqualTo("jpeg:80");
        assertThatThrownBy(() -> FrameCodec.parse("webp")).hasMessageContaining("jpeg:Q");
        assertThatThrownBy(() -> FrameCodec.decode(new byte[]{1, 2, 3})).hasMessageContaining("neither a JPEG nor a PNG");
    }

    private static List<FrameRecords.Frame> consume(String bootstrap, int expected) {
        List<FrameRecords.Frame> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "replay-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            // read the topic directly, without a consumer group: the test is about the records
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(Topics.FRAMES.name()).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(FrameRecords.fromRecord(r)));
                return seen.size() >= expected;
            });
        }
        return seen;
    }
}
