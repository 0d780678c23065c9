package dev.vigil.padim;

import dev.vigil.padim.ModelFileException.Check;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;

/**
 * A fitted model's file (docs/model-format.md): the {@link ModelContainer} with magic {@code VIGILPDM}, the
 * {@link ModelHeader}, and float32 payload blocks (mean, then packed precision factors): one, or in version 2 a
 * second for the motion stream, and in version 3 a last one for the patch memory, each with its own CRC32C. Reading
 * and writing stream the payload through a few-MB buffer: a d = 550 model is ~1.9 GB.
 */
public final class ModelFile {
    /**
     * The newest version read and written: 3 with a patch memory block, 2 with a motion block alone, else 1 (what
     * older readers know).
     */
    public static final int VERSION = 3;
    /** Written for models with a motion stream and no patch memory. */
    public static final int MOTION_VERSION = 2;
    /** Written for models without a motion stream: byte for byte what this format always was. */
    public static final int PLAIN_VERSION = 1;
    public static final String PAYLOAD_ORDER =
            "mean f32le [positions][d], then factor f32le [positions][d(d+1)/2] packed lower-triangular row by row";
    /** Magic, version, header length, header CRC and payload CRC: the bytes besides header and payload. */
    public static final int FIXED_OVERHEAD = ModelContainer.PREAMBLE + 4 + 4;

    private static final String[] PLAIN_BLOCKS = {"appearance"};
    private static final String[] MOTION_BLOCKS = {"appearance", "motion"};

    private ModelFile() {
    }

    /** Payload size of a model: {@code 4 x positions x (d + d(d+1)/2)} bytes. */
    public static long payloadBytes(int positions, int features) {
        return ModelFileKind.MODEL.payloadBytes(positions, features);
    }

    /**
     * Writes the model to a temporary file beside {@code file} and renames it into place, so the final name only
     * ever holds a complete model (an interrupted write leaves the previous model, if any).
     *
     * @throws IllegalArgumentException if the description could not be read back (missing or inconsistent fields)
     */
    public static void write(Path file, PadimModel model) throws IOException {
        if (model.motionMemory() != null) {
            throw new IllegalArgumentException("cannot write model file " + file + ": the motion stream's patch memory "
                    + "is an evaluation setting (eval --variants motion-memory), not part of the model format");
        }
        GaussianModel g = model.gaussian();
        // an older Vigil refuses a model with a motion block by its version, rather than score it without the motion
        // against a threshold learnt on the blend
        int version = model.hasMemory() ? VERSION : model.hasMotion() ? MOTION_VERSION : PLAIN_VERSION;
        Path target = file.toAbsolutePath();
        byte[] header = ModelHeader.encode(target, model.info(), g.positions(), g.features(), ModelFileKind.MODEL,
                version);
        ModelContainer.write(target, ModelFileKind.MODEL, version, header, out -> {
            writeBlock(out, g);
            if (model.hasMotion()) {
                writeBlock(out, model.motion());
            }
            if (model.hasMemory()) {
                out.floats(FloatBuffer.wrap(model.memory().patches()));
                out.endBlock();
            }
        });
    }

    private static void writeBlock(ModelContainer.Writer out, GaussianModel g) throws IOException {
        out.floats(FloatBuffer.wrap(g.mean()));
        for (int p = 0; p < g.positions(); p++) {
            out.floats(g.factorBuffer(p));
        }
        out.endBlock();
    }

    /** Reads and verifies a whole model (all checks of docs/model-format.md). */
    public static PadimModel read(Path file) throws IOException {
        try (ModelContainer.Reader in = ModelContainer.Reader.open(file, ModelFileKind.MODEL)) {
            ModelHeader h = header(in, file);
            GaussianModel g = GaussianModel.allocate(h.positions(), h.features());
            GaussianModel m = null;
            boolean ok = false;
            try {
                readBlock(in, g);
                in.endBlock(Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
                if (h.motion() != null) {
                    m = GaussianModel.allocate(h.positions(), h.features());
                    readBlock(in, m);
                    in.endBlock(Check.MOTION_PAYLOAD_CHECKSUM, "motion block checksum mismatch (damaged)");
                }
                PatchMemory memory = null;
                ModelInfo info = h.info();
                if (info.hasMemory()) {
                    float[] patches = new float[(int) memoryBytes(info) / Float.BYTES];
                    in.floats(FloatBuffer.wrap(patches));
                    in.endBlock(Check.MEMORY_PAYLOAD_CHECKSUM, "patch memory block checksum mismatch (damaged)");
                    try {
                        memory = PatchMemory.of(info.gridWidth(), info.gridHeight(), info.features(),
                                info.memory().patchesPerRow(), patches);
                    } catch (IllegalArgumentException e) {
                        throw new ModelFileException(file, Check.MEMORY_VALUES, "patch memory block is not usable: "
                                + e.getMessage());
                    }
                }
                PadimModel model = new PadimModel(info, g, m, memory);
                ok = true;
                return model;
            } finally {
                if (!ok) {
                    g.close();
                    if (m != null) {
                        m.close();
                    }
                }
            }
        }
    }

    /**
     * Every check of {@link #read}, the payload checksum included, streaming the payload instead of loading it: for
     * tools that only need to know a file is sound (a 2 GB model is not allocated).
     */
    public static ModelInfo verify(Path file) throws IOException {
        try (ModelContainer.Reader in = ModelContainer.Reader.open(file, ModelFileKind.MODEL)) {
            ModelHeader h = header(in, file);
            in.skip(h.payloadBytes());
            in.endBlock(Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
            if (h.motion() != null) {
                in.skip(h.payloadBytes());
                in.endBlock(Check.MOTION_PAYLOAD_CHECKSUM, "motion block checksum mismatch (damaged)");
            }
            if (h.memory() != null) {
                in.skip(memoryBytes(h.info()));
                in.endBlock(Check.MEMORY_PAYLOAD_CHECKSUM, "patch memory block checksum mismatch (damaged)");
            }
            return h.info();
        }
    }

    /**
     * The description only, without loading the payload: verifies magic, version, header checksum and fields, and
     * the file length, but not the payload checksum.
     */
    public static ModelInfo readInfo(Path file) throws IOException {
        try (ModelContainer.Reader in = ModelContainer.Reader.open(file, ModelFileKind.MODEL)) {
            return header(in, file).info();
        }
    }

    /**
     * The description from a model's first bytes, e.g. the first chunk of a version on the models topic: magic,
     * version, header checksum and fields are checked; the payload, which {@code prefix} need not hold, is not.
     *
     * @param name what to call the model in messages, in place of a path
     */
    public static ModelInfo readInfo(byte[] prefix, Path name) throws ModelFileException {
        ModelContainer.Framed f = ModelContainer.frame(prefix, name, ModelFileKind.MODEL);
        return ModelHeader.decode(name, f.header(), ModelFileKind.MODEL, f.version()).info();
    }

    /** The header, and the file's length checked against it: the reader is then at the first payload block. */
    private static ModelHeader header(ModelContainer.Reader in, Path file) throws IOException {
        ModelHeader h = ModelHeader.decode(file, in.header(), ModelFileKind.MODEL, in.version());
        if (h.memory() == null) {
            in.expectPayload(h.payloadBytes(), h.motion() != null ? MOTION_BLOCKS : PLAIN_BLOCKS);
        } else if (h.motion() != null) {
            in.expectBlocks(new long[]{h.payloadBytes(), h.payloadBytes(), memoryBytes(h.info())},
                    new String[]{"appearance", "motion", "patch memory"});
        } else {
            in.expectBlocks(new long[]{h.payloadBytes(), memoryBytes(h.info())},
                    new String[]{"appearance", "patch memory"});
        }
        return h;
    }

    private static long memoryBytes(ModelInfo info) {
        return PatchMemory.bytes(info.gridHeight(), info.memory().patchesPerRow(), info.features());
    }

    private static void readBlock(ModelContainer.Reader in, GaussianModel g) throws IOException {
        in.floats(FloatBuffer.wrap(g.mean()));
        for (int p = 0; p < g.positions(); p++) {
            in.floats(g.factorBuffer(p));
        }
    }
}
