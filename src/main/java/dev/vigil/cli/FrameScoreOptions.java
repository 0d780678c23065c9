package dev.vigil.cli;

import dev.vigil.padim.FrameScore;
import dev.vigil.padim.Scoring;
import picocli.CommandLine.Option;

/**
 * How a fitted model will score frames: its frame score and whether it has a motion stream. Both are stored in the
 * model, and its threshold is learnt on that score.
 */
public class FrameScoreOptions {
    @Option(names = "--frame-score", paramLabel = "max|top:F", defaultValue = "max",
            description = "How a frame's score is taken from its patch distances: max (the paper's: the blurred "
                    + "map's maximum) or top:F (the mean of the highest fraction F of patch distances, e.g. top:0.05); "
                    + "the threshold is learnt on that score (default: ${DEFAULT-VALUE})")
    String frameScore;

    @Option(names = "--motion", paramLabel = "W", defaultValue = "0",
            description = "Also fit a motion stream (Gaussians of consecutive frames' embedding differences) and "
                    + "blend it into the patch distances with weight W, e.g. 3 with --frame-score top:0.05 "
                    + "(docs/results.md); needs consecutive frames (default: ${DEFAULT-VALUE}, none: the paper's PaDiM)")
    double motion;

    Scoring resolve() {
        return new Scoring(FrameScore.parse(frameScore), motion);
    }
}
