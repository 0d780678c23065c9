package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.TestModels;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile records on the models topic, without a broker: chunks with forged, contradicting or swapped contents, a
 * version that never completes, control records for versions nobody published. Each is refused with its reason (or,
 * for a version still incomplete, waits), the camera keeps scoring with the version it had, and no frame is lost.
 */
class HostileModelRecordsTest {
    private static final int W = 160;
    private static final int H = 128;

    @Test
    void badModelRecordsAreRefusedAndTheCameraKeepsItsModel(@TempDir Path dir) throws Exception {
        SyntheticScene scene = new SyntheticScene(W, H, 11, -1, -1);
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            Path modelFile = TestModels.fit(backbone, IntStream.range(0, 40).mapToObj(scene::frame).toList(), W, H,
                    40, 10, "gate", dir.resolve("gate.vgm"));
            byte[] frame = FrameCodec.parse("jpeg:90").encode(scene.frame(45));
            int partitions = Topics.PARTITIONS;
            try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5));
                 ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, dir.resolve("state"))) {
                scorer.publish("gate", modelFile, 1);
                List<ModelChunk> chunks = new ArrayList<>();
                ModelChunks.split(modelFile, "gate", 2, 64 << 10, chunks::add);
                assertThat(chunks.size()).isGreaterThan(3);

                // a chunk whose camera header is no camera id
                ModelChunk c0 = chunks.get(0);
                ProducerRecord<String, byte[]> forged = ModelRecords.toRecord(c0, partitions);
                forged.headers().remove("vigil.camera");
                forged.headers().add("vigil.camera", "gate\n\u001b[2J".getBytes(StandardCharsets.UTF_8));
                scorer.model(forged);
                // a chunk whose index is past its count
                scorer.model(ModelRecords.toRecord(new ModelChunk("gate", 2, c0.count() + 5, c0.count(),
                        c0.chunkBytes(), c0.totalBytes(), c0.sha256(), c0.data()), partitions));
                // version 2 complete, but with two chunks' data swapped: the reassembled file fails its checksum
                for (ModelChunk c : chunks) {
                    int from = c.index() == 1 ? 2 : c.index() == 2 ? 1 : c.index();
                    byte[] data = chunks.get(from).data();
                    if (data.length != c.data().length) {
                        data = c.data();
                    }
                    scorer.model(ModelRecords.toRecord(new ModelChunk(c.camera(), c.version(), c.index(), c.count(),
                            c.chunkBytes(), c.totalBytes(), c.sha256(), data), partitions));
                }
                // version 3 with its last chunk missing: it never becomes active
                List<ModelChunk> third = new ArrayList<>();
                ModelChunks.split(modelFile, "gate", 3, 64 << 10, third::add);
                third.subList(0, third.size() - 1).forEach(c -> scorer.model(ModelRecords.toRecord(c, partitions)));
                // activation of a version nobody published, and a control record asking for something unknown
                scorer.model(ModelRecords.toRecord(ModelRecords.Control.activate("gate", 99), 1, partitions));
                RecordHeaders unknown = new RecordHeaders();
                unknown.add("vigil.control", "format-disk".getBytes(StandardCharsets.UTF_8));
                unknown.add("vigil.camera", "gate".getBytes(StandardCharsets.UTF_8));
                unknown.add("vigil.model.version", "1".getBytes(StandardCharsets.UTF_8));
                scorer.model(new ProducerRecord<>(Topics.MODELS.name(), 0, 1L, "gate#format-disk", new byte[0],
                        unknown));

                for (int seq = 0; seq < 5; seq++) {
                    scorer.frame(new FrameRecords.Frame("gate", seq, System.currentTimeMillis(), "jpeg:90", W, H,
                            "test", seq, frame));
                }
                scorer.pumpUntil(() -> scorer.mapsRead.size() == 5 && scorer.deadLettersRead.size() >= 5);

                assertThat(scorer.mapsRead).extracting(AnomalyMapRecord::seq).containsExactly(0L, 1L, 2L, 3L, 4L);
                assertThat(scorer.mapsRead).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1));
                List<String> reasons = scorer.deadLettersRead.stream()
                        .map(r -> DeadLetters.header(r.headers(), DeadLetters.REASON)).toList();
                assertThat(reasons).hasSize(5);
                assertThat(reasons.get(0)).contains("camera id 'gate\\n\\u001b[2J'").doesNotContain("\u001b");
                assertThat(reasons.get(1)).contains("index " + (c0.count() + 5) + " outside");
                assertThat(reasons).anySatisfy(r -> assertThat(r).contains("version 2").contains("checksum"));
                assertThat(reasons).anySatisfy(r -> assertThat(r).contains("activation of model version 99 refused"));
                assertThat(reasons).anySatisfy(r -> assertThat(r).contains("'format-disk'"));
                assertThat(scorer.stats.modelsLoaded()).isEqualTo(1);
            }
        }
    }
}
