package dev.vigil.cli;

import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.evaluation.Figures;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.SourceFrame;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The end-to-end demo on generated footage: learns a synthetic walkway camera from its normal video, then watches a
 * second video in which a vehicle crosses the scene, and reports the frames that raise an alarm.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate the sample stream, learn it, score the clip with an intruder, write overlays.")
public class DemoCommand implements Callable<Integer> {
    static final int WIDTH = 320;
    static final int HEIGHT = 240;
    static final int FPS = 10;
    static final long SCENE_SEED = 11;

    @Option(names = "--backbone", paramLabel = "<manifest>",
            defaultValue = "${env:VIGIL_BACKBONE:-../shared/backbones/mobilenetv2-l123.json}",
            description = "Backbone manifest (default: ${DEFAULT-VALUE})")
    Path backbone;

    @Option(names = "--streams", paramLabel = "<dir>", defaultValue = "sample-streams",
            description = "Where the generated sample videos go (default: ${DEFAULT-VALUE})")
    Path streams;

    @Option(names = "--out", paramLabel = "<dir>", defaultValue = "target/demo",
            description = "Where the model and overlays go (default: ${DEFAULT-VALUE})")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        Path normal = streams.resolve("walkway-normal.mp4");
        Path intruder = streams.resolve("walkway-intruder.mp4");
        // one scene: the intruder clip continues the normal one (scene frames 600-719), a vehicle crossing in 660-689;
        // a minute of normal footage lets every pedestrian wrap around the scene once
        generate(normal, 0, 600, -1, -1, stdout);
        generate(intruder, 600, 120, 660, 690, stdout);
        Files.createDirectories(out);
        Path modelFile = out.resolve("walkway.vgm");
        Preprocessing pre = new Preprocessing(Preprocessing.Mode.RESIZE, WIDTH, HEIGHT);
        try (OnnxBackbone bb = OnnxBackbone.load(BackboneManifest.read(backbone), OnnxBackbone.Device.AUTO)) {
            PadimModel model = new Trainer(bb, pre, new FitOptions(100, 1, FitOptions.DEFAULT_EPS, 16,
                    FitOptions.DEFAULT_HOLD_OUT_EVERY, FitOptions.DEFAULT_MAX_HELD_OUT, "walkway"))
                    .fit(MediaInputs.images(MediaInputs.frames(List.of(normal))));
            ModelFile.write(modelFile, model);
            double threshold = model.info().threshold().threshold();
            stdout.printf("learnt %s from %d normal frames; threshold %.2f%n", modelFile,
                    model.info().trainingFrames(), threshold);
            List<BufferedImage> tiles = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            int[] alarms = {0, 0};
            try (Detector detector = new Detector(bb, model)) {
                detector.scoreAll(MediaInputs.frames(List.of(intruder)), 16, SourceFrame::image, (f, d) -> {
                    boolean alarm = d.score() > threshold;
                    boolean truth = f.index() >= 60 && f.index() < 90;
                    alarms[0] += alarm && truth ? 1 : 0;
                    alarms[1] += alarm && !truth ? 1 : 0;
                    if (f.index() % 10 == 5) {
                        stdout.printf("frame %3d score %6.2f %s%n", f.index(), d.score(), alarm ? "ALARM" : "");
                    }
                    if (f.index() == 40 || f.index() == 75) {
                        tiles.add(Figures.overlay(detector.extractor().prepare(f.image()), d.map(), d.width(),
                                d.height(), null, 0f, (float) (2 * threshold)));
                        captions.add("frame " + f.index() + ": score " + String.format("%.1f", d.score()));
                    }
                });
            }
            Path overlay = out.resolve("walkway-overlay.png");
            Figures.writeOverlayStrip(overlay, tiles, captions);
            stdout.printf("alarms on %d of 30 intruder frames, %d of 90 normal frames; overlays in %s%n",
                    alarms[0], alarms[1], overlay);
            model.gaussian().close();
        }
        return 0;
    }

    /** Writes a synthetic clip unless it is already there (it is deterministic for its seed). */
    private static void generate(Path file, int first, int frames, int anomalyStart, int anomalyEnd, PrintWriter out)
            throws Exception {
        if (Files.isRegularFile(file)) {
            return;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        SyntheticScene scene = new SyntheticScene(WIDTH, HEIGHT, SCENE_SEED, anomalyStart, anomalyEnd);
        try (VideoWriter writer = VideoWriter.open(file, WIDTH, HEIGHT, FPS)) {
            for (int i = first; i < first + frames; i++) {
                writer.write(scene.frame(i));
            }
        }
        out.printf("generated %s (%d frames, %s)%n", file, frames, VideoWriter.encoderName());
    }
}
