package dev.vigil.cli;

import dev.vigil.learning.TopicLearner;
import dev.vigil.ingest.CameraConfig;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "autolearn", mixinStandardHelpOptions = true,
        description = "Learn the model of each camera that has none: once the camera's frames on the frames topic "
                + "reach --frames (sampled at --sample-fps), fit on them and publish the model, which a running "
                + "serve swaps in without a restart. Polls until every camera has a model, or one pass with --once.")
public class AutoLearnCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AutoLearnCommand.class);

    @Option(names = "--camera", paramLabel = "<id>", converter = CameraIdConverter.class,
            description = "A camera to learn (repeatable; default: every camera of the camera file)")
    List<String> cameras;

    @Option(names = "--frames", required = true, paramLabel = "N",
            description = "Frames (after sampling) a camera's model is fitted on: the learning phase's length")
    int frames;

    @Option(names = "--sample-fps", paramLabel = "F", defaultValue = "2",
            description = "Frames kept per second of capture time (default: ${DEFAULT-VALUE}; 0: every frame)")
    double sampleFps;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "10s",
            description = "How often the cameras still learning are looked at again (default: ${DEFAULT-VALUE})")
    String poll;

    @Option(names = "--once", description = "One pass over the cameras, then exit")
    boolean once;

    @Option(names = "--models-dir", paramLabel = "<dir>", defaultValue = "models",
            description = "Where the learnt model files are written (default: ${DEFAULT-VALUE})")
    Path modelsDir;

    @Mixin
    ThresholdRuleOptions thresholdRule;

    @Mixin
    FrameScoreOptions frameScore;

    @Mixin
    EngineOptions engine;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (frames < 2) {
            throw new IllegalArgumentException("--frames must be at least 2 (a Gaussian needs two frames), got " + frames);
        }
        Duration every = FrameSpan.duration(poll, "--poll");
        CommandFiles.requireWritableFolder(modelsDir, "learnt models");
        Set<String> todo = new LinkedHashSet<>(cameras());
        KafkaConnection connection = kafka.connection();
        Topics.ensure(connection);
        PrintWriter out = spec.commandLine().getOut();
        while (true) {
            for (String camera : new ArrayList<>(todo)) {
                // a camera that has a model is not learnt again: retraining is `learn`'s, asked for
                if (!ModelVersions.read(connection, camera).complete().isEmpty()) {
                    out.printf("camera %s has a model: not learnt%n", camera);
                    todo.remove(camera);
                    continue;
                }
                CameraFrames.Selection selection = CameraFrames.select(connection, camera,
                        new CameraFrames.Window(null, null, frames), sampleFps);
                if (selection.size() < frames) {
                    // never a half-learnt model: the fit waits for the whole learning phase
                    out.printf("camera %s learning: %d of %d frames%n", camera, selection.size(), frames);
                    out.flush();
                    continue;
                }
                TopicLearner.Learnt learnt = LearnCommand.fit(engine, connection, camera, selection,
                        thresholdRule.resolve(camera), frameScore.resolve(true), sampleFps,
                        ModelOutputOptions.fileIn(modelsDir, camera, java.time.Instant.now()));
                long version = System.currentTimeMillis();
                ModelPublisher.publish(connection, camera, learnt.file(), version,
                        dev.vigil.stream.ModelChunks.DEFAULT_CHUNK_BYTES);
                out.printf("camera %s learnt on %d frames (threshold %.4f, %s): published as version %d%n", camera,
                        learnt.info().trainingFrames() + learnt.info().threshold().frames(),
                        learnt.info().threshold().threshold(), learnt.info().threshold().rule(), version);
                out.flush();
                todo.remove(camera);
            }
            if (once || todo.isEmpty()) {
                return 0;
            }
            LOG.info("{} camera(s) still learning: {}; next look in {}", todo.size(), todo, every);
            Thread.sleep(every.toMillis());
        }
    }

    private List<String> cameras() throws Exception {
        if (cameras != null && !cameras.isEmpty()) {
            return cameras;
        }
        Path file = thresholdRule.cameras != null ? thresholdRule.cameras
                : Files.isRegularFile(CameraConfig.DEFAULT_FILE) ? CameraConfig.DEFAULT_FILE : null;
        if (file == null) {
            throw new IllegalArgumentException("no camera to learn: name them with --camera, or give a camera file "
                    + "with --cameras (" + CameraConfig.DEFAULT_FILE + " does not exist)");
        }
        return new ArrayList<>(CameraConfig.thresholdRules(file).keySet());
    }
}
