package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scoring service killed (SIGKILL, a real separate process) in the middle of a clip and started again: every
 * frame's anomaly map is on the output exactly once.
 */
class ScoringRestartTest {
    private static final int W = 160;
    private static final int H = 128;

    @Test
    void aKilledScorerRestartsWithNoFrameLostOrScoredTwice(@TempDir Path dir) throws Exception {
        SyntheticScene scene = new SyntheticScene(W, H, 7, -1, -1);
        Path modelFile = dir.resolve("yard.vgm");
        Path backboneManifest = SharedData.backbone("mobilenetv2-l123");
        try (OnnxBackbone backbone = OnnxBackbone.load(backboneManifest)) {
            List<RgbImage> normal = IntStream.range(0, 60).mapToObj(scene::frame).toList();
            PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                    new FitOptions(40, 3, 0.01, 16, 10, 500, "yard")).fit(normal.iterator());
            ModelFile.write(modelFile, model);
            model.gaussian().close();
        }
        Path clip = dir.resolve("yard.mp4");
        VideoWriter.write(clip, IntStream.range(60, 260).mapToObj(scene::frame).toList(), 10);
        // a dead member leaves the group after its session times out: the broker's minimum, not Kafka's 45 s
        Path clientConfig = dir.resolve("client.properties");
        Files.writeString(clientConfig, "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n");

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaConnection kafka = broker.connection();
            ModelPublisher.publish(kafka, "yard", modelFile, 1, 1 << 20);
            List<String> serve = List.of("serve", "--bootstrap", broker.bootstrap(), "--kafka-config",
                    clientConfig.toString(), "--backbone", backboneManifest.toString(), "--state-dir",
                    dir.resolve("state").toString(), "--batch", "4", "--stats-every", "PT1S", "--http-port", "0");
            Process first = start(serve, dir.resolve("first.log"));
            CompletableFuture<Long> replay = CompletableFuture.supplyAsync(() -> {
                try {
                    return Replayer.replay(kafka, "yard", clip.toString(), FrameCodec.parse("jpeg:90"), 1.0);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<AnomalyMapRecord> maps = new CopyOnWriteArrayList<>();
            try (TopicReader reader = new TopicReader(kafka, Topics.ANOMALY_MAPS, "yard", true)) {
                await().atMost(Duration.ofSeconds(120)).until(() -> {
                    reader.read(new TopicReader.Until.Idle(Duration.ofMillis(200)),
                            r -> maps.add(AnomalyMapRecord.fromJson(r.value())), r -> maps.size() >= 20);
                    return maps.size() >= 20;
                });
                first.destroyForcibly().waitFor();
                assertThat(maps.size()).isLessThan(150);
                Process second = start(serve, dir.resolve("second.log"));
                try {
                    assertThat(replay.get()).isEqualTo(200);
                    await().atMost(Duration.ofSeconds(100)).until(() -> {
                        reader.read(new TopicReader.Until.Idle(Duration.ofMillis(200)),
                                r -> maps.add(AnomalyMapRecord.fromJson(r.value())), r -> false);
                        return maps.size() >= 200;
                    });
                    // anything extra would show up within a few commits
                    reader.read(new TopicReader.Until.Idle(Duration.ofSeconds(2)),
                            r -> maps.add(AnomalyMapRecord.fromJson(r.value())), r -> false);
                } finally {
                    second.destroy();
                    second.waitFor();
                }
            }
            List<Long> seqs = new ArrayList<>(maps.stream().map(AnomalyMapRecord::seq).toList());
            assertThat(seqs).containsExactlyElementsOf(IntStream.range(0, 200).mapToObj(i -> (long) i).toList());
        }
    }

    private static Process start(List<String> args, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.vigil.cli.VigilCommand"));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
