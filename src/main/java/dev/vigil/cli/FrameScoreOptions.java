package dev.vigil.cli;

import dev.vigil.padim.FrameScore;
import picocli.CommandLine.Option;

/** How a fitted model will score frames: stored in the model, and its threshold is learnt on that score. */
public class FrameScoreOptions {
    @Option(names = "--frame-score", paramLabel = "max|top:F", defaultValue = "max",
            description = "How a frame's score is taken from its patch distances: max (the paper's: the blurred "
                    + "map's maximum) or top:F (the mean of the highest fraction F of patch distances, e.g. top:0.05); "
                    + "the threshold is learnt on that score (default: ${DEFAULT-VALUE})")
    String frameScore;

    FrameScore resolve() {
        return FrameScore.parse(frameScore);
    }
}
