package dev.vigil.padim;

import dev.vigil.padim.ModelFileException.Check;

import java.io.IOException;
import java.nio.DoubleBuffer;
import java.nio.file.Path;

/**
 * A partial fit's file (docs/model-format.md, "Partial fits"): the {@link ModelContainer} with magic
 * {@code VIGILPFT}, the model's {@link ModelHeader} with the share's frame count, and the float64 running sums as the
 * one payload block, so that merging the files is exact.
 */
public final class PartialFitFile {
    public static final int VERSION = 1;
    public static final String PAYLOAD_ORDER = "mean f64le [positions][d], then co-moment f64le "
            + "[positions][d(d+1)/2] packed lower-triangular row by row (sum of (x - mean)(x - mean)^T)";

    private PartialFitFile() {
    }

    /** Payload size of a partial fit: {@code 8 x positions x (d + d(d+1)/2)} bytes. */
    public static long payloadBytes(int positions, int features) {
        return ModelFileKind.PARTIAL_FIT.payloadBytes(positions, features);
    }

    /** Writes a partial fit beside the target and renames it into place, as models are. */
    public static void write(Path file, PartialFit part) throws IOException {
        GaussianAccumulator acc = part.accumulator();
        ModelInfo info = part.info().withTrainingFrames(acc.count());
        Path target = file.toAbsolutePath();
        byte[] header = ModelHeader.encode(target, info, acc.positions(), acc.features(), ModelFileKind.PARTIAL_FIT,
                VERSION);
        ModelContainer.write(target, ModelFileKind.PARTIAL_FIT, VERSION, header, out -> {
            out.doubles(DoubleBuffer.wrap(acc.means()));
            for (int p = 0; p < acc.positions(); p++) {
                out.doubles(DoubleBuffer.wrap(acc.comoment(p)));
            }
            out.endBlock();
        });
    }

    /** Reads a partial fit, with the same checks as a model (magic, version, header, lengths, checksums). */
    public static PartialFit read(Path file) throws IOException {
        try (ModelContainer.Reader in = ModelContainer.Reader.open(file, ModelFileKind.PARTIAL_FIT)) {
            ModelHeader h = ModelHeader.decode(file, in.header(), ModelFileKind.PARTIAL_FIT, in.version());
            in.expectPayload(h.payloadBytes(), "sums");
            // allocated only now that the file is known to hold every value
            GaussianAccumulator acc = new GaussianAccumulator(h.positions(), h.features());
            in.doubles(DoubleBuffer.wrap(acc.means()));
            for (int p = 0; p < h.positions(); p++) {
                in.doubles(DoubleBuffer.wrap(acc.comoment(p)));
            }
            in.endBlock(Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
            acc.restoreCount(h.trainingFrames());
            return new PartialFit(h.info(), acc);
        }
    }
}
