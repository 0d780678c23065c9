package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.learning.TopicLearner;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "learn", mixinStandardHelpOptions = true,
        description = "Fit a camera's model on its frames already on the frames topic, write it, and with "
                + "--publish put it on the models topic as a new version.")
public class LearnCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(LearnCommand.class);

    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    // repeatable: a camera can learn from several time ranges at once (--from A --to B --from C --to D)
    @ArgGroup(exclusive = true, multiplicity = "1..*")
    List<FrameSpan> spans;

    @Option(names = "--sample-fps", paramLabel = "F", defaultValue = "0",
            description = "Frames kept per second of capture time, so that a minute of footage is not 1,500 "
                    + "near-identical frames (default: ${DEFAULT-VALUE}, every frame)")
    double sampleFps;

    @Mixin
    ThresholdRuleOptions thresholdRule;

    @Mixin
    FrameScoreOptions frameScore;

    @Mixin
    ModelOutputOptions output;

    @Mixin
    EngineOptions engine;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ThresholdRule rule = thresholdRule.resolve(camera);
        output.requireWritable();
        Instant now = Instant.now();
        KafkaConnection connection = kafka.connection();
        Topics.ensure(connection);
        long start = System.nanoTime();
        List<CameraFrames.Selection> parts = new java.util.ArrayList<>();
        for (FrameSpan span : spans) {
            parts.add(CameraFrames.select(connection, camera, span.window(now, 2), sampleFps));
        }
        CameraFrames.Selection selection = CameraFrames.Selection.union(parts);
        if (parts.size() > 1) {
            LOG.info("camera {}: {} spans of {} frames: {} frames in all", camera, parts.size(),
                    parts.stream().map(p -> Integer.toString(p.size())).toList(), selection.size());
        }
        if (selection.size() < 2) {
            throw new IllegalArgumentException("camera " + camera + " has " + selection.size() + " frame(s) on "
                    + Topics.FRAMES.name() + " in the span asked for" + (selection.malformed() > 0 ? " ("
                    + selection.malformed() + " malformed records skipped)" : "") + ": fitting needs at least 2");
        }
        LOG.info("camera {}: fitting on {} frames of partition {} ({} .. {})", camera, selection.size(),
                selection.partition(), Instant.ofEpochMilli(selection.firstMillis()),
                Instant.ofEpochMilli(selection.lastMillis()));
        TopicLearner.Learnt learnt = fit(engine, connection, camera, selection, rule, frameScore.resolve(true), sampleFps,
                output.out);
        Path file = learnt.file();
        long[] undecodable = {learnt.undecodable()};
        var info = learnt.info();
        spec.commandLine().getOut().printf("wrote %s: camera %s, %d frames fitted (%d undecodable skipped), threshold "
                        + "%.4f (%s, %d held-back frames), %.1f s%n", file, camera, info.trainingFrames(),
                undecodable[0], info.threshold().threshold(), info.threshold().rule(), info.threshold().frames(),
                (System.nanoTime() - start) / 1e9);
        output.publishIfAsked(connection, camera, file, spec.commandLine().getOut());
        return 0;
    }

    /** Fits a camera's model on the selected frames and writes it ({@code out}, else models/) with its provenance. */
    static TopicLearner.Learnt fit(EngineOptions engine, KafkaConnection connection, String camera,
                                   CameraFrames.Selection selection, ThresholdRule rule, Scoring scoring,
                                   double sampleFps, Path out) throws IOException {
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            return new TopicLearner(backbone, connection).fit(selection, engine.preprocessing(backbone.manifest()),
                    engine.fitOptions(backbone, camera), rule, scoring, sampleFps,
                    ModelOutputOptions.file(out, camera, Instant.now()));
        }
    }
}
