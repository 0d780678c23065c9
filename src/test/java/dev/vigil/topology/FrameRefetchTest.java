package dev.vigil.topology;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A restarted task gets back the frames its buffer store points at, by offset, from the frames topic. */
class FrameRefetchTest {
    @Test
    void framesAreReadBackByOffsetAndMissingOnesAreAbsent(@TempDir Path dir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            Topics.ensure(broker.connection());
            List<RecordMetadata> sent = new ArrayList<>();
            try (KafkaProducer<String, byte[]> producer = Producers.create(broker.connection(), 1 << 20)) {
                for (int i = 0; i < 10; i++) {
                    sent.add(producer.send(FrameRecords.toRecord(new FrameRecords.Frame("yard", i, 1000 + i, "png",
                            2, 2, "test", i, new byte[]{(byte) i}))).get());
                }
            }
            int partition = sent.get(0).partition();
            Map<Long, FrameRecords.Frame> frames = FrameRefetch.read(broker.connection(), partition,
                    List.of(sent.get(3).offset(), sent.get(7).offset(), 10_000L));
            assertThat(frames).hasSize(2);
            assertThat(frames.get(sent.get(3).offset()).seq()).isEqualTo(3);
            assertThat(frames.get(sent.get(7).offset()).image()).containsExactly(7);
        }
    }
}
