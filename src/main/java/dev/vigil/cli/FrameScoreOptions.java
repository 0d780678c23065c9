package dev.vigil.cli;

import dev.vigil.padim.FrameScore;
import dev.vigil.padim.MemoryBlend;
import dev.vigil.padim.Scoring;
import picocli.CommandLine.Option;

/**
 * How a fitted model will score frames: its frame score and whether it has a motion stream. Both are stored in the
 * model, and its threshold is learnt on that score. Video (clips, cameras) and still images have different defaults,
 * {@link Scoring#VIDEO} and {@link Scoring#PLAIN}; an option given replaces its part of the default only.
 */
public class FrameScoreOptions {
    @Option(names = "--frame-score", paramLabel = "max|top:F|region:F",
            description = "How a frame's score is taken from its patch distances: max (the paper's: the blurred "
                    + "map's maximum), top:F (the mean of the highest fraction F of patch distances, e.g. top:0.05) or "
                    + "region:F (the strongest connected region of them); the threshold is learnt on that score "
                    + "(default: top:0.02 for video, max for still images)")
    String frameScore;

    @Option(names = "--motion", paramLabel = "W",
            description = "Also fit a motion stream (Gaussians of consecutive frames' embedding differences) and "
                    + "blend it into the patch distances with weight W; needs consecutive frames and at least 100 "
                    + "of them (held-back frames give its scales). 0: none, the paper's PaDiM (default: 3 for video, "
                    + "0 for still images; docs/results.md)")
    Double motion;

    @Option(names = "--memory", paramLabel = "R|off",
            description = "Also keep a patch memory (a coreset of the normal patches of each grid row) and call a "
                    + "patch normal when it is close to one seen in rows y-R..y+R, wherever in the row: ordinary "
                    + "people where the training footage rarely showed any. Its scales come from the held-back "
                    + "frames (default: 1 for video, off for still images; docs/results.md)")
    String memory;

    @Option(names = "--memory-gate", paramLabel = "Q",
            description = "Ask the patch memory only about patches whose appearance distance is above the held-back "
                    + "frames' Q-quantile: the others are normal already, and the search is most of the memory's "
                    + "cost (default: ${DEFAULT-VALUE})", defaultValue = "" + Scoring.DEFAULT_GATE)
    double memoryGate;

    /** @param video whether the frames are video (a clip, a camera): the default is then {@link Scoring#VIDEO} */
    Scoring resolve(boolean video) {
        return resolve(frameScore, motion, memory, memoryGate, video ? Scoring.VIDEO : Scoring.PLAIN);
    }

    /** The options given, each part not given taken from the defaults. */
    static Scoring resolve(String frameScore, Double motion, String memory, double gate, Scoring defaults) {
        Scoring.Memory m;
        if (memory == null) {
            m = defaults.memory() == null ? null : new Scoring.Memory(defaults.memory().radius(), gate);
        } else if (memory.equals("off")) {
            m = null;
        } else {
            m = new Scoring.Memory(radius(memory), gate);
        }
        return new Scoring(frameScore == null ? defaults.frameScore() : FrameScore.parse(frameScore),
                motion == null ? defaults.motionWeight() : motion, defaults.pooling(), m);
    }

    private static int radius(String text) {
        try {
            int r = Integer.parseInt(text);
            if (r >= 0 && r <= MemoryBlend.MAX_RADIUS) {
                return r;
            }
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("--memory must be off or a row band half-width R from 0 to "
                + MemoryBlend.MAX_RADIUS + ", got '"
                + dev.vigil.untrusted.LogText.escape(text) + "'");
    }
}
