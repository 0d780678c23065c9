package dev.vigil.cli;

import dev.vigil.alerting.SceneChangePolicy;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.ingest.CameraConfig;
import dev.vigil.ingest.CameraConfigException;
import dev.vigil.learning.PublishingLearner;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.topology.AutoLearning;
import dev.vigil.topology.CameraLearner;
import dev.vigil.topology.ScoringSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;


/** How the scorer learns cameras' models from their own frames, and tells scene changes (docs/configuration.md). */
public class LearningOptions {
    @Option(names = "--auto-learn-frames", paramLabel = "N", defaultValue = "0",
            description = "A camera with no model learns one from its next N frames (after sampling), then scores "
                    + "with it, no restart (default: ${DEFAULT-VALUE}, off unless --auto-learn-for is given)")
    int frames;

    @Option(names = "--auto-learn-for", paramLabel = "DURATION",
            description = "Or: its learning phase covers this much capture time (90s, 10m, 2h; with "
                    + "--auto-learn-frames, both must be reached)")
    String span;

    @Option(names = "--auto-learn-sample-fps", paramLabel = "F", defaultValue = "2",
            description = "Frames a learning phase keeps per second of capture time (default: ${DEFAULT-VALUE}; "
                    + "0: every frame)")
    double sampleFps;

    @Option(names = "--relearn-on-scene-change",
            description = "A scene change starts a new learning phase; the camera scores with its current model "
                    + "until the new one is active (needs --auto-learn-frames or --auto-learn-for)")
    boolean relearn;

    @Option(names = "--scene-change-window", paramLabel = "FRAMES", defaultValue = "600",
            description = "Frames over which the share above threshold is followed for scene changes (default: "
                    + "${DEFAULT-VALUE}; 0: no scene-change alerts)")
    int sceneWindow;

    @Option(names = "--scene-change-share", paramLabel = "S", defaultValue = "0.7",
            description = "Share of frames above threshold that is a scene change rather than anomalies (default: "
                    + "${DEFAULT-VALUE}; it ends below the lesser of 0.3 and S/2)")
    double sceneShare;

    @Option(names = "--auto-learn-size", paramLabel = "WxH",
            description = "Backbone input size of learnt models (default: the manifest's recommended_size, else 224x224)")
    String size;

    @Option(names = "--auto-learn-features", paramLabel = "D",
            description = "Embedding channels kept in learnt models (default: 100, or 550 for backbones of 1000+ channels)")
    Integer features;

    @Option(names = "--auto-learn-frame-score", paramLabel = "max|top:F|region:F",
            description = "How learnt models score frames: max (the paper's), top:F (the mean of the highest "
                    + "fraction F of patch distances) or region:F (the strongest connected region of them); "
                    + "docs/results.md (default: top:0.02, the video default)")
    String frameScore;

    @Option(names = "--auto-learn-motion", paramLabel = "W",
            description = "Learnt models also fit a motion stream, blended in with weight W; with "
                    + "--auto-learn-sample-fps, each sampled frame is fitted with the frame right before it. A phase "
                    + "of fewer than 100 frames holds none back for the stream's scales and is learnt without it "
                    + "(default: 3, the video default; 0: none, the paper's PaDiM)")
    Double motion;

    @Option(names = "--auto-learn-memory", paramLabel = "R|off",
            description = "Learnt models also keep a patch memory of the normal patches of each grid row, band "
                    + "rows y-R..y+R (train --memory); a phase of fewer than 100 frames holds none back for its "
                    + "scales and is learnt without it (default: 1, the video default; off: none)")
    String memory;

    @Option(names = "--auto-learn-memory-gate", paramLabel = "Q",
            description = "The patch memory is asked only about patches above the held-back frames' appearance "
                    + "Q-quantile (train --memory-gate; default: ${DEFAULT-VALUE})",
            defaultValue = "" + dev.vigil.padim.Scoring.DEFAULT_GATE)
    double memoryGate;

    @Mixin
    ThresholdRuleOptions thresholdRule;

    /** The settings with this learning and scene-change policy. */
    ScoringSettings apply(ScoringSettings settings) {
        if (sceneWindow < 0) {
            throw new IllegalArgumentException("--scene-change-window must be 0 (off) or more frames, got " + sceneWindow);
        }
        if (!(sceneShare > 0 && sceneShare <= 1)) {
            throw new IllegalArgumentException("--scene-change-share must be in (0, 1], got " + sceneShare);
        }
        SceneChangePolicy scene = sceneWindow == 0 ? SceneChangePolicy.OFF
                : new SceneChangePolicy(sceneWindow, sceneShare, Math.min(0.3, sceneShare / 2));
        AutoLearning learning = frames > 0 || span != null
                ? new AutoLearning(frames, span == null ? null : FrameSpan.duration(span, "--auto-learn-for"), sampleFps)
                : null;
        if (relearn && learning == null) {
            throw new IllegalArgumentException("--relearn-on-scene-change needs the length of a learning phase: "
                    + "--auto-learn-frames or --auto-learn-for");
        }
        return new ScoringSettings(settings.maxInFlight(), settings.maxLiveAge(), settings.alerts(),
                settings.minRegionArea(), settings.maxBoxes(), scene, learning, relearn, settings.limits());
    }

    /** The scorer's learner: the backbone it runs, --auto-learn-size and --auto-learn-features, each camera's rule. */
    CameraLearner learner(OnnxBackbone backbone, KafkaConnection kafka) throws CameraConfigException {
        EngineOptions engine = new EngineOptions();
        engine.size = size;
        Preprocessing preprocessing = engine.preprocessing(backbone.manifest());
        // each camera's rule is read now: a camera file with an error stops serve at start, not a fit at the end
        java.util.Map<String, ThresholdRule> rules = new java.util.HashMap<>();
        ThresholdRule fallback = thresholdRule.resolve("");
        if (thresholdRule.file() != null && thresholdRule.rule == null) {
            rules.putAll(CameraConfig.thresholdRules(thresholdRule.file()));
        }
        return new PublishingLearner(backbone, kafka, preprocessing, features == null ? 0 : features,
                camera -> rules.getOrDefault(camera, fallback),
                FrameScoreOptions.resolve(frameScore, motion, memory, memoryGate,
                        dev.vigil.padim.Scoring.VIDEO));
    }
}
