package dev.vigil.cli;

import dev.vigil.learning.TopicLearner;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.Detector;
import dev.vigil.engine.SequenceFrame;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Provenance;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.Topics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Recompute a camera's threshold from its recent frames, scored by its active model, with no "
                + "refitting: the same Gaussians with the new threshold, written and, with --publish, published "
                + "as a new version.")
public class ModelCalibrateCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @ArgGroup(exclusive = true, multiplicity = "1")
    FrameSpan span;

    @Option(names = "--sample-fps", paramLabel = "F", defaultValue = "0",
            description = "Frames kept per second of capture time (default: ${DEFAULT-VALUE}, every frame)")
    double sampleFps;

    @Mixin
    ThresholdRuleOptions thresholdRule;

    @Mixin
    FittedBackboneOptions scoring;

    @Mixin
    ModelOutputOptions output;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ThresholdRule rule = thresholdRule.resolve(camera);
        output.requireWritable();
        CameraFrames.Window window = span.window(Instant.now(), 1);
        KafkaConnection connection = kafka.connection();
        ModelVersions versions = ModelVersions.read(connection, camera);
        long active = versions.active();
        if (active < 0) {
            throw new IllegalArgumentException("camera " + camera + " has no active model on " + Topics.MODELS.name()
                    + ": learn or publish one first");
        }
        CameraFrames.Selection selection = CameraFrames.select(connection, camera, window, sampleFps);
        if (selection.size() < 1) {
            throw new IllegalArgumentException("camera " + camera + " has no frames on " + Topics.FRAMES.name()
                    + " in the span asked for");
        }
        Path work = Files.createTempDirectory("vigil-calibrate-");
        Path activeFile = ModelVersions.download(connection, camera, active, work);
        double[] scores = new double[selection.size()];
        int[] n = {0};
        long[] undecodable = {0};
        PadimModel model;
        try (OnnxBackbone bb = scoring.load()) {
            // refuses a model fitted with another backbone, naming every difference
            model = Detector.loadModel(bb, activeFile);
            // a motion stream is scored on consecutive frames, as the scorer scored them: each selected frame comes
            // with the frame right before it (the first one's, and with sampling every one's), read for its
            // difference only
            CameraFrames.Selection scored = model.hasMotion() ? selection.withPredecessors() : selection;
            java.util.Set<Long> selected = new java.util.HashSet<>();
            for (long o : selection.offsets()) {
                selected.add(o);
            }
            try (CameraFrames.Frames frames = CameraFrames.read(connection, scored);
                 Detector detector = new Detector(bb, model)) {
                Iterator<SequenceFrame> images = TopicLearner.sequence(camera, frames, undecodable,
                        o -> !selected.contains(o));
                detector.scoreAll(images, scoring.batch, SequenceFrame::image, SequenceFrame::follows, (f, d) -> {
                    if (!f.reference()) {
                        scores[n[0]++] = d.score();
                    }
                });
            }
        } finally {
            Files.deleteIfExists(activeFile);
            Files.deleteIfExists(work);
        }
        if (n[0] == 0) {
            throw new IllegalArgumentException("none of the " + selection.size() + " frames of camera " + camera
                    + " decoded");
        }
        ModelInfo before = model.info();
        ThresholdStats stats = ThresholdStats.fromNormalScores(Arrays.copyOf(scores, n[0]), rule);
        Instant created = Instant.now();
        ModelInfo info = before.withThreshold(stats).withCreated(created).withProvenance(new Provenance("calibrate",
                camera, List.of(Topics.FRAMES.name() + " partition " + selection.partition()), n[0],
                Instant.ofEpochMilli(selection.firstMillis()), Instant.ofEpochMilli(selection.lastMillis()),
                String.join(",", selection.codecs()), sampleFps, active));
        Path file = output.file(camera, created);
        ModelFile.write(file, model.with(info));
        model.close();
        spec.commandLine().getOut().printf("wrote %s: camera %s, version %d's Gaussians, threshold %.4f -> %.4f (%s "
                        + "of %d frames scored, %d undecodable skipped)%n", file, camera, active,
                before.threshold().threshold(), stats.threshold(), stats.rule(), n[0], undecodable[0]);
        output.publishIfAsked(connection, camera, file, spec.commandLine().getOut());
        return 0;
    }
}
