package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.ingest.Replayer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * `vigil autolearn` against a real broker and a running scorer: a camera with no model waits for its learning
 * phase's frames, is never given a half-learnt model, and once they are there is learnt, published and scored with
 * its model without a restart.
 */
class AutoLearnTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);

    @Test
    void aCameraWithoutAModelIsLearntFromItsStreamAndThenScored(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.mp4");
        Path rest = dir.resolve("rest.mp4");
        VideoWriter.write(first, IntStream.range(0, 20).mapToObj(SCENE::frame).toList(), 10);
        VideoWriter.write(rest, IntStream.range(20, 110).mapToObj(SCENE::frame).toList(), 10);
        List<String> command = new ArrayList<>(List.of("autolearn", "--camera", "lot", "--frames", "40",
                "--sample-fps", "5", "--models-dir", dir.resolve("models").toString(),
                "--backbone", SharedData.backbone("mobilenetv2-l123").toString(), "--size", W + "x" + H,
                "--features", "10", "--batch", "16"));
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            var kafka = broker.connection();
            command.addAll(List.of("--bootstrap", broker.bootstrap()));
            try (ScoringService service = ScoringService.start(kafka, scoring, "mobilenetv2-l123",
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                // 2 s of footage at 5 fps sampled: 10 of the 40 frames the learning phase needs
                Replayer.replay(kafka, "lot", first.toString(), FrameCodec.parse("png"), 0);
                List<String> once = new ArrayList<>(command);
                once.add("--once");
                VigilRun learning = VigilRun.of(once.toArray(String[]::new));
                assertThat(learning.exit()).as(learning.toString()).isZero();
                assertThat(learning.out()).contains("camera lot learning: 10 of 40 frames");
                assertThat(VigilRun.of("model", "list", "--camera", "lot", "--bootstrap", broker.bootstrap()).out())
                        .contains("no model versions for camera lot");

                Replayer.replay(kafka, "lot", rest.toString(), FrameCodec.parse("png"), 0);
                VigilRun learnt = VigilRun.of(command.toArray(String[]::new));
                assertThat(learnt.exit()).as(learnt.toString()).isZero();
                Matcher m = Pattern.compile("camera lot learnt on 40 frames .*published as version (\\d+)")
                        .matcher(learnt.out());
                assertThat(m.find()).as(learnt.out()).isTrue();
                long version = Long.parseLong(m.group(1));
                assertThat(VigilRun.of("model", "list", "--camera", "lot", "--json", "--bootstrap",
                        broker.bootstrap()).out()).contains("\"kind\" : \"learn\"", "\"sample_fps\" : 5.0");

                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 1);
                Replayer.replay(kafka, "lot", rest.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> maps = ScoringTopologyTest.readUntil(kafka, Topics.ANOMALY_MAPS, 90);
                assertThat(maps).allSatisfy(map -> assertThat(map.modelVersion()).isEqualTo(version));

                // a camera that has a model is left alone
                assertThat(VigilRun.of(command.toArray(String[]::new)).out()).contains("camera lot has a model: not learnt");
            }
        }
    }
}
