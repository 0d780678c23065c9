package dev.vigil.cli;

import dev.vigil.ingest.CameraConfig;
import dev.vigil.ingest.CameraConfigException;
import dev.vigil.padim.ThresholdRule;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** The threshold rule of a camera's model: the flag, else the camera file's {@code threshold_rule}, else the default. */
public class ThresholdRuleOptions {
    @Option(names = {"--threshold-rule", "--rule"}, paramLabel = "<rule>",
            description = "How the threshold is derived from normal frames' scores: pA+K*(pA-pB), pA, quantile:Q, "
                    + "mean+K*std or fixed:T (default: the camera's threshold_rule in the camera file, else "
                    + "p99+1*(p99-p50))")
    String rule;

    @Option(names = "--cameras", paramLabel = "<file>",
            description = "Camera file whose threshold_rule applies (default: config/cameras.yaml when it exists)")
    Path cameras;

    /** The camera file whose rules apply: --cameras, else config/cameras.yaml when it exists, else null. */
    Path file() {
        return cameras != null ? cameras : Files.isRegularFile(CameraConfig.DEFAULT_FILE) ? CameraConfig.DEFAULT_FILE : null;
    }

    ThresholdRule resolve(String camera) throws CameraConfigException {
        if (rule != null) {
            return ThresholdRule.parse(rule);
        }
        Path file = file();
        if (file == null) {
            return ThresholdRule.DEFAULT;
        }
        return CameraConfig.thresholdRules(file).getOrDefault(camera, ThresholdRule.DEFAULT);
    }
}
