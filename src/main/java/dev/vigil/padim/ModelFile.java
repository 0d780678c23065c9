package dev.vigil.padim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.padim.ModelFileException.Check;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The versioned binary model file (docs/model-format.md): magic {@code VIGILPDM}, u16 version, u32 header length,
 * UTF-8 JSON header, u32 CRC32C of the header, little-endian float32 payload (mean, then packed precision factors),
 * u32 CRC32C of the payload; in version 2, then the motion stream's block in the same layout and its own CRC32C.
 * Reading and writing stream through a few-MB buffer: a d = 550 model is ~1.9 GB.
 */
public final class ModelFile {
    /** The newest version read and written: 2 with a motion block, else 1 (what older readers know). */
    public static final int VERSION = 2;
    /** Written for models without a motion stream: byte for byte what this format always was. */
    public static final int PLAIN_VERSION = 1;
    public static final String PAYLOAD_ORDER =
            "mean f32le [positions][d], then factor f32le [positions][d(d+1)/2] packed lower-triangular row by row";
    /** Magic, version, header length, header CRC and payload CRC: the bytes besides header and payload. */
    public static final int FIXED_OVERHEAD = 8 + 2 + 4 + 4 + 4;

    private static final byte[] MAGIC = "VIGILPDM".getBytes(StandardCharsets.US_ASCII);
    /** A partial fit's file: the same container, float64 running sums instead of a finished model. */
    private static final byte[] PARTIAL_MAGIC = "VIGILPFT".getBytes(StandardCharsets.US_ASCII);
    public static final int PARTIAL_VERSION = 1;
    public static final String PARTIAL_PAYLOAD_ORDER = "mean f64le [positions][d], then co-moment f64le "
            + "[positions][d(d+1)/2] packed lower-triangular row by row (sum of (x - mean)(x - mean)^T)";
    private static final int PREAMBLE = 8 + 2 + 4;
    /** Real headers are a few KB; a larger length is a damaged length field, not a reason to allocate gigabytes. */
    private static final int MAX_HEADER_BYTES = 16 << 20;
    private static final int CHUNK = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ModelFile() {
    }

    /** Payload size of a model: {@code 4 x positions x (d + d(d+1)/2)} bytes. */
    public static long payloadBytes(int positions, int features) {
        return 4L * positions * (features + (long) features * (features + 1) / 2);
    }

    /**
     * Writes the model to a temporary file beside {@code file} and renames it into place, so the final name only
     * ever holds a complete model (an interrupted write leaves the previous model, if any).
     *
     * @throws IllegalArgumentException if the description could not be read back (missing or inconsistent fields)
     */
    public static void write(Path file, PadimModel model) throws IOException {
        GaussianModel g = model.gaussian();
        byte[] header = headerJson(model.info(), g.positions(), g.features());
        // an older Vigil refuses a model with a motion block by its version, rather than score it without the motion
        // against a threshold learnt on the blend
        int version = model.hasMotion() ? VERSION : PLAIN_VERSION;
        Path target = file.toAbsolutePath();
        try {
            // the reader's own validation: never write a file that read() would refuse
            parseHeader(target, header, version);
        } catch (ModelFileException e) {
            throw new IllegalArgumentException("cannot write " + e.getMessage(), e);
        }
        writeAtomically(target, MAGIC, version, header, out -> {
            out.floats(FloatBuffer.wrap(g.mean()));
            for (int p = 0; p < g.positions(); p++) {
                out.floats(g.factorBuffer(p));
            }
            out.u32(out.payloadCrc());
            if (model.hasMotion()) {
                GaussianModel m = model.motion();
                out.resetCrc();
                out.floats(FloatBuffer.wrap(m.mean()));
                for (int p = 0; p < m.positions(); p++) {
                    out.floats(m.factorBuffer(p));
                }
                out.u32(out.payloadCrc());
            }
        });
    }

    /** A file's payload blocks, each followed by its checksum, through the buffered, checksumming output. */
    private interface Payload {
        void write(Output out) throws IOException;
    }

    /**
     * Writes the preamble (magic, version, header and its checksum) and the payload to a temporary file beside
     * {@code target} and renames it into place, so the final name only ever holds a complete file; the temporary is
     * deleted on any failure.
     */
    private static void writeAtomically(Path target, byte[] magic, int version, byte[] header, Payload payload)
            throws IOException {
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, CREATE_NEW, WRITE)) {
                Output out = new Output(ch);
                out.bytes(magic);
                out.u16(version);
                out.u32(header.length);
                out.bytes(header);
                out.u32(crc(header));
                payload.write(out);
                out.flush();
                // data on disk before the rename makes it visible, or a crash could expose an empty file
                ch.force(true);
            }
            Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
    }

    /** A missing or unreadable path gets a message saying so, not just the bare path of the JDK's exception. */
    private static void requireFile(Path file) throws IOException {
        if (!java.nio.file.Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "model file does not exist");
        }
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IOException("model file " + file + " is not a regular file");
        }
    }

    /** Reads and verifies a whole model (all checks of docs/model-format.md). */
    public static PadimModel read(Path file) throws IOException {
        requireFile(file);
        try (FileChannel ch = FileChannel.open(file, READ)) {
            Header h = readHeader(ch, file);
            GaussianModel g = GaussianModel.allocate(h.positions(), h.features());
            GaussianModel m = null;
            boolean ok = false;
            try {
                ch.position(h.payloadStart());
                Input in = new Input(ch, (int) Math.min(CHUNK, h.payloadBytes() + 4));
                readBlock(in, g);
                if (in.u32() != in.payloadCrc()) {
                    throw new ModelFileException(file, Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
                }
                if (h.info().hasMotion()) {
                    m = GaussianModel.allocate(h.positions(), h.features());
                    in.resetCrc();
                    readBlock(in, m);
                    if (in.u32() != in.payloadCrc()) {
                        throw new ModelFileException(file, Check.MOTION_PAYLOAD_CHECKSUM,
                                "motion block checksum mismatch (damaged)");
                    }
                }
                PadimModel model = new PadimModel(h.info(), g, m);
                ok = true;
                return model;
            } catch (EOFException e) {
                // the length was checked up front, so the file shrank while being read
                throw new ModelFileException(file, Check.TRUNCATED, "truncated while reading the payload", e);
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

    /** Payload size of a partial fit: {@code 8 x positions x (d + d(d+1)/2)} bytes. */
    public static long partialPayloadBytes(int positions, int features) {
        return 2 * payloadBytes(positions, features);
    }

    /**
     * Writes a partial fit (docs/model-format.md, "Partial fits"): the model's header with its frame count, then the
     * float64 sums, so that merging the files is exact. Written beside the target and renamed into place, as models.
     */
    public static void writePartial(Path file, PartialFit part) throws IOException {
        GaussianAccumulator acc = part.accumulator();
        ModelInfo info = part.info().withTrainingFrames(acc.count());
        byte[] header = headerJson(info, acc.positions(), acc.features(), true);
        Path target = file.toAbsolutePath();
        try {
            parseHeader(target, header, 1, true);
        } catch (ModelFileException e) {
            throw new IllegalArgumentException("cannot write " + e.getMessage(), e);
        }
        writeAtomically(target, PARTIAL_MAGIC, PARTIAL_VERSION, header, out -> {
            out.doubles(DoubleBuffer.wrap(acc.means()));
            for (int p = 0; p < acc.positions(); p++) {
                out.doubles(DoubleBuffer.wrap(acc.comoment(p)));
            }
            out.u32(out.payloadCrc());
        });
    }

    /** Reads a partial fit, with the same checks as a model (magic, version, header, lengths, checksums). */
    public static PartialFit readPartial(Path file) throws IOException {
        requireFile(file);
        try (FileChannel ch = FileChannel.open(file, READ)) {
            Header h = readHeader(ch, file, true);
            GaussianAccumulator acc = new GaussianAccumulator(h.positions(), h.features());
            ch.position(h.payloadStart());
            Input in = new Input(ch, (int) Math.min(CHUNK, h.payloadBytes() + 4));
            try {
                in.doubles(DoubleBuffer.wrap(acc.means()));
                for (int p = 0; p < h.positions(); p++) {
                    in.doubles(DoubleBuffer.wrap(acc.comoment(p)));
                }
                if (in.u32() != in.payloadCrc()) {
                    throw new ModelFileException(file, Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
                }
            } catch (EOFException e) {
                throw new ModelFileException(file, Check.TRUNCATED, "truncated while reading the payload", e);
            }
            acc.restoreCount(h.info().trainingFrames());
            return new PartialFit(h.info(), acc);
        }
    }

    private static void readBlock(Input in, GaussianModel g) throws IOException {
        in.floats(FloatBuffer.wrap(g.mean()));
        for (int p = 0; p < g.positions(); p++) {
            in.floats(g.factorBuffer(p));
        }
    }

    /**
     * Every check of {@link #read}, the payload checksum included, streaming the payload instead of loading it: for
     * tools that only need to know a file is sound (a 2 GB model is not allocated).
     */
    public static ModelInfo verify(Path file) throws IOException {
        requireFile(file);
        try (FileChannel ch = FileChannel.open(file, READ)) {
            Header h = readHeader(ch, file);
            ch.position(h.payloadStart());
            Input in = new Input(ch, (int) Math.min(CHUNK, h.payloadBytes() + 4));
            try {
                in.skip(h.payloadBytes());
                if (in.u32() != in.payloadCrc()) {
                    throw new ModelFileException(file, Check.PAYLOAD_CHECKSUM, "payload checksum mismatch (damaged)");
                }
                if (h.info().hasMotion()) {
                    in.resetCrc();
                    in.skip(h.payloadBytes());
                    if (in.u32() != in.payloadCrc()) {
                        throw new ModelFileException(file, Check.MOTION_PAYLOAD_CHECKSUM,
                                "motion block checksum mismatch (damaged)");
                    }
                }
            } catch (EOFException e) {
                throw new ModelFileException(file, Check.TRUNCATED, "truncated while reading the payload", e);
            }
            return h.info();
        }
    }

    /**
     * The description only, without loading the payload: verifies magic, version, header checksum and fields, and
     * the file length, but not the payload checksum.
     */
    public static ModelInfo readInfo(Path file) throws IOException {
        requireFile(file);
        try (FileChannel ch = FileChannel.open(file, READ)) {
            return readHeader(ch, file).info();
        }
    }

    /**
     * The description from a model's first bytes, e.g. the first chunk of a version on the models topic: magic,
     * version, header checksum and fields are checked; the payload, which {@code prefix} need not hold, is not.
     *
     * @param name what to call the model in messages, in place of a path
     */
    public static ModelInfo readInfo(byte[] prefix, Path name) throws ModelFileException {
        ByteBuffer b = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < Math.min(prefix.length, MAGIC.length); i++) {
            if (prefix[i] != MAGIC[i]) {
                throw new ModelFileException(name, Check.MAGIC, "is not a Vigil model (bad magic)");
            }
        }
        if (prefix.length < PREAMBLE) {
            throw new ModelFileException(name, Check.TRUNCATED, "truncated: expected at least " + PREAMBLE
                    + " bytes (magic, version, header length), found " + prefix.length);
        }
        int version = b.getShort(8) & 0xffff;
        if (version > VERSION || version < 1) {
            throw new ModelFileException(name, Check.VERSION, "format version " + version
                    + " is not one this Vigil supports (1 to " + VERSION + ")");
        }
        long headerLength = b.getInt(10) & 0xffffffffL;
        if (headerLength == 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFileException(name, Check.HEADER, "header length " + headerLength
                    + " is implausible (damaged length field)");
        }
        if (prefix.length < PREAMBLE + headerLength + 4) {
            throw new ModelFileException(name, Check.TRUNCATED, "truncated: expected " + headerLength
                    + " header bytes and a 4-byte checksum, found " + (prefix.length - PREAMBLE));
        }
        byte[] header = java.util.Arrays.copyOfRange(prefix, PREAMBLE, PREAMBLE + (int) headerLength);
        if ((b.getInt(PREAMBLE + (int) headerLength) & 0xffffffffL) != crc(header)) {
            throw new ModelFileException(name, Check.HEADER_CHECKSUM, "header checksum mismatch (damaged)");
        }
        return parseHeader(name, header, version).info();
    }

    /**
     * Refuses a model fitted for another backbone (name or ONNX sha256), preprocessing or input size: its Gaussians
     * describe other features, so its scores would be meaningless rather than wrong in an obvious way.
     */
    public static void checkCompatible(Path file, ModelInfo info, String backboneName, String backboneSha256,
                                       String preprocessing, int inputWidth, int inputHeight)
            throws ModelFileException {
        List<String> diffs = new ArrayList<>();
        if (!Objects.equals(info.backboneName(), backboneName)) {
            diffs.add("backbone '" + info.backboneName() + "', not '" + backboneName + "'");
        }
        if (info.backboneSha256() == null || backboneSha256 == null
                || !info.backboneSha256().equalsIgnoreCase(backboneSha256)) {
            diffs.add("backbone sha256 " + info.backboneSha256() + ", not " + backboneSha256
                    + " (another ONNX file)");
        }
        if (!Objects.equals(info.preprocessing(), preprocessing)) {
            diffs.add("preprocessing '" + info.preprocessing() + "', not '" + preprocessing + "'");
        }
        if (info.inputWidth() != inputWidth || info.inputHeight() != inputHeight) {
            diffs.add("input size " + info.inputWidth() + "x" + info.inputHeight() + ", not " + inputWidth + "x"
                    + inputHeight);
        }
        if (!diffs.isEmpty()) {
            throw new ModelFileException(file, Check.MISMATCH, "was fitted with " + String.join("; ", diffs)
                    + " (refit the model or use the backbone and settings it was fitted with)");
        }
    }

    // ---- header ----

    private record Header(ModelInfo info, int positions, int features, long payloadStart, long payloadBytes) {
    }

    private record Parsed(ModelInfo info, int positions, int features, long payloadBytes) {
    }

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        return readHeader(ch, file, false);
    }

    /** @param partial a partial fit's file rather than a model's */
    private static Header readHeader(FileChannel ch, Path file, boolean partial) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN);
        int got = readFully(ch, pre, 0);
        byte[] magic = partial ? PARTIAL_MAGIC : MAGIC;
        // a short file that starts like a model is a cut model; anything else is not a model at all
        for (int i = 0; i < Math.min(got, magic.length); i++) {
            if (pre.get(i) != magic[i]) {
                byte[] other = partial ? MAGIC : PARTIAL_MAGIC;
                boolean isOther = got >= other.length
                        && java.util.Arrays.equals(java.util.Arrays.copyOf(pre.array(), other.length), other);
                throw new ModelFileException(file, Check.MAGIC, isOther
                        ? (partial ? "is a finished model, not a partial fit" : "is a partial fit, not a model: merge "
                        + "partial fits into a model with `vigil model merge`")
                        : "is not a Vigil " + (partial ? "partial fit" : "model") + " (bad magic)");
            }
        }
        if (got < PREAMBLE) {
            throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected at least " + PREAMBLE
                    + " bytes (magic, version, header length), found " + got);
        }
        int version = pre.getShort(8) & 0xffff;
        int newest = partial ? PARTIAL_VERSION : VERSION;
        if (version > newest) {
            throw new ModelFileException(file, Check.VERSION, "format version " + version
                    + " is newer than this Vigil supports (" + newest + ")");
        }
        if (version < 1) {
            throw new ModelFileException(file, Check.VERSION, "format version " + version
                    + " is not a valid version (this Vigil supports 1 to " + newest + ")");
        }
        long headerLength = pre.getInt(10) & 0xffffffffL;
        if (headerLength == 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFileException(file, Check.HEADER, "header length " + headerLength
                    + " is implausible (damaged length field)");
        }
        if (size < PREAMBLE + headerLength + 4) {
            throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected " + headerLength
                    + " header bytes and a 4-byte checksum, found " + (size - PREAMBLE));
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLength + 4).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, hb, PREAMBLE);
        byte[] header = new byte[(int) headerLength];
        hb.get(0, header);
        if ((hb.getInt((int) headerLength) & 0xffffffffL) != crc(header)) {
            throw new ModelFileException(file, Check.HEADER_CHECKSUM, "header checksum mismatch (damaged)");
        }
        Parsed parsed = parseHeader(file, header, partial ? 1 : version, partial);
        long payloadStart = PREAMBLE + headerLength + 4;
        long blocks = parsed.info().hasMotion() ? 2 : 1;
        long expected = payloadStart + blocks * (parsed.payloadBytes() + 4);
        if (size < expected) {
            throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected " + parsed.payloadBytes()
                    + " payload bytes and a 4-byte checksum" + (blocks == 2 ? ", twice (appearance and motion "
                    + "blocks)" : "") + ", found " + (size - payloadStart));
        }
        if (size > expected) {
            throw new ModelFileException(file, Check.TRAILING_DATA, "has " + (size - expected)
                    + " bytes of trailing data after the payload checksum");
        }
        return new Header(parsed.info(), parsed.positions(), parsed.features(), payloadStart, parsed.payloadBytes());
    }

    private static byte[] headerJson(ModelInfo info, int positions, int features) throws IOException {
        return headerJson(info, positions, features, false);
    }

    /** @param partial a partial fit's header: its payload is the float64 sums */
    private static byte[] headerJson(ModelInfo info, int positions, int features, boolean partial)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("backbone_name", info.backboneName());
        root.put("backbone_sha256", info.backboneSha256());
        putInts(root, "layer_channels", info.layerChannels());
        root.put("preprocessing", info.preprocessing());
        root.put("input_width", info.inputWidth());
        root.put("input_height", info.inputHeight());
        root.put("grid_width", info.gridWidth());
        root.put("grid_height", info.gridHeight());
        putInts(root, "channel_indices", info.channelIndices());
        root.put("seed", info.seed());
        putDouble(root, "eps", info.eps());
        root.put("training_frames", info.trainingFrames());
        ThresholdStats t = info.threshold();
        if (t == null) {
            root.putNull("threshold");
        } else {
            ObjectNode tn = root.putObject("threshold");
            tn.put("rule", t.rule());
            tn.put("frames", t.frames());
            putDouble(tn, "mean", t.mean());
            putDouble(tn, "std", t.std());
            putDouble(tn, "p50", t.p50());
            putDouble(tn, "p95", t.p95());
            putDouble(tn, "p99", t.p99());
            putDouble(tn, "max", t.max());
            putDouble(tn, "threshold", t.threshold());
            ArrayNode scores = tn.putArray("scores");
            for (double v : t.scores()) {
                scores.add(v);
            }
        }
        root.put("created", info.created() == null ? null : info.created().toString());
        root.put("label", info.label());
        root.put("frame_score", info.frameScore().toString());
        MotionBlend motion = info.motion();
        if (motion != null) {
            ObjectNode mn = root.putObject("motion");
            putDouble(mn, "weight", motion.weight());
            putDouble(mn, "appearance_scale", motion.appearanceScale());
            putDouble(mn, "motion_scale", motion.motionScale());
            mn.put("training_pairs", motion.trainingPairs());
            mn.put("payload_bytes", payloadBytes(positions, features));
            mn.put("payload_order", PAYLOAD_ORDER);
        }
        Provenance p = info.provenance();
        if (p != null) {
            ObjectNode pn = root.putObject("provenance");
            pn.put("kind", p.kind());
            pn.put("camera", p.camera());
            ArrayNode sources = pn.putArray("sources");
            p.sources().forEach(sources::add);
            pn.put("frames", p.frames());
            pn.put("from", p.from() == null ? null : p.from().toString());
            pn.put("to", p.to() == null ? null : p.to().toString());
            pn.put("codec", p.codec());
            putDouble(pn, "sample_fps", p.sampleFps());
            pn.put("based_on", p.basedOn());
        }
        root.put("positions", positions);
        root.put("features", features);
        root.put("payload_bytes", partial ? partialPayloadBytes(positions, features) : payloadBytes(positions, features));
        root.put("payload_order", partial ? PARTIAL_PAYLOAD_ORDER : PAYLOAD_ORDER);
        // the trailing newline keeps `head -c N` output tidy in a terminal
        return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void putInts(ObjectNode node, String name, int[] values) {
        if (values == null) {
            node.putNull(name);
            return;
        }
        ArrayNode array = node.putArray(name);
        for (int v : values) {
            array.add(v);
        }
    }

    /** JSON has no NaN or infinity: those become the strings Double.toString gives (an unset threshold is NaN). */
    private static void putDouble(ObjectNode node, String name, double v) {
        if (Double.isFinite(v)) {
            node.put(name, v);
        } else {
            node.put(name, Double.toString(v));
        }
    }

    /** @param version the file's format version: 2 has the motion block, 1 has none */
    private static Parsed parseHeader(Path file, byte[] header, int version) throws ModelFileException {
        return parseHeader(file, header, version, false);
    }

    private static Parsed parseHeader(Path file, byte[] header, int version, boolean partial)
            throws ModelFileException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new ModelFileException(file, Check.HEADER, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFileException(file, Check.HEADER, "header is not readable: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFileException(file, Check.HEADER, "header is not a JSON object");
        }
        Fields f = new Fields(file, root, "");
        Fields tf = f.object("threshold");
        String rule = tf.optionalText("rule");
        ThresholdStats threshold = new ThresholdStats(tf.integer("frames"), tf.number("mean"), tf.number("std"),
                tf.number("p50"), tf.number("p95"), tf.number("p99"), tf.number("max"), tf.number("threshold"),
                rule == null || rule.equals(ThresholdStats.LEGACY_RULE) ? ThresholdRule.DEFAULT.toString() : rule,
                tf.optionalNumbers("scores"));
        ModelInfo info = new ModelInfo(f.text("backbone_name"), f.text("backbone_sha256"), f.ints("layer_channels"),
                f.text("preprocessing"), f.integer("input_width"), f.integer("input_height"),
                f.integer("grid_width"), f.integer("grid_height"), f.ints("channel_indices"), f.integer64("seed"),
                f.number("eps"), f.integer64("training_frames"), threshold, f.instant("created"),
                f.optionalText("label"), provenance(f), frameScore(f), motion(f, version));
        int positions = f.integer("positions");
        int features = f.integer("features");
        long payloadBytes = f.integer64("payload_bytes");

        for (String name : List.of("input_width", "input_height", "grid_width", "grid_height", "features")) {
            if (f.integer(name) <= 0) {
                throw f.bad(name, "must be positive, is " + f.integer(name));
            }
        }
        if (positions != (long) info.gridWidth() * info.gridHeight()) {
            throw f.bad("positions", "(" + positions + ") is inconsistent with grid_width x grid_height ("
                    + info.gridWidth() + " x " + info.gridHeight() + ")");
        }
        if (features != info.features()) {
            throw f.bad("features", "(" + features + ") is inconsistent with channel_indices ("
                    + info.features() + " values)");
        }
        // the mean is one Java array and a factor is indexed by int
        if ((long) positions * features > Integer.MAX_VALUE - 8 || (long) features * (features + 1) / 2 > Integer.MAX_VALUE) {
            throw f.bad("features", "(" + features + " at " + positions + " positions) is too large to load");
        }
        long expectedBytes = partial ? partialPayloadBytes(positions, features) : payloadBytes(positions, features);
        if (payloadBytes != expectedBytes) {
            throw f.bad("payload_bytes", "(" + payloadBytes + ") is inconsistent with positions and features "
                    + "(expected " + expectedBytes + ")");
        }
        String order = f.text("payload_order");
        if (!order.equals(partial ? PARTIAL_PAYLOAD_ORDER : PAYLOAD_ORDER)) {
            throw f.bad("payload_order", "is unsupported: '" + order + "'");
        }
        long channels = 0;
        for (int c : info.layerChannels()) {
            channels += c;
        }
        for (int c : info.channelIndices()) {
            if (c < 0 || c >= channels) {
                throw f.bad("channel_indices", "holds " + c + ", outside the " + channels
                        + " channels of layer_channels");
            }
        }
        return new Parsed(info, positions, features, payloadBytes);
    }

    /** The motion stream's blend: present exactly in version 2, its block the same size as the appearance one's. */
    private static MotionBlend motion(Fields root, int version) throws ModelFileException {
        if (!root.has("motion")) {
            if (version >= 2) {
                throw root.bad("motion", "is missing (format version " + version + " has a motion block)");
            }
            return null;
        }
        if (version < 2) {
            throw root.bad("motion", "is present, but format version " + version + " has no motion block");
        }
        Fields m = root.object("motion");
        long positions = root.integer("positions");
        long features = root.integer("features");
        if (m.integer64("payload_bytes") != payloadBytes((int) positions, (int) features)) {
            throw m.bad("payload_bytes", "(" + m.integer64("payload_bytes") + ") is inconsistent with positions and "
                    + "features (expected " + payloadBytes((int) positions, (int) features) + ")");
        }
        if (!m.text("payload_order").equals(PAYLOAD_ORDER)) {
            throw m.bad("payload_order", "is unsupported: '" + m.text("payload_order") + "'");
        }
        try {
            return new MotionBlend(m.number("weight"), m.number("appearance_scale"), m.number("motion_scale"),
                    m.integer64("training_pairs"));
        } catch (IllegalArgumentException e) {
            throw root.bad("motion", "is not a usable blend: " + e.getMessage());
        }
    }

    /** Absent in files written before it existed: those score frames as the paper does ({@code max}). */
    private static FrameScore frameScore(Fields root) throws ModelFileException {
        String text = root.optionalText("frame_score");
        if (text == null) {
            return FrameScore.MAX;
        }
        try {
            return FrameScore.parse(text);
        } catch (IllegalArgumentException e) {
            throw root.bad("frame_score", "is not a frame score: " + e.getMessage());
        }
    }

    /** Absent in files written before provenance was recorded: those read with null. */
    private static Provenance provenance(Fields root) throws ModelFileException {
        if (!root.has("provenance")) {
            return null;
        }
        Fields p = root.object("provenance");
        List<String> sources = new ArrayList<>();
        if (p.has("sources")) {
            for (JsonNode n : p.get("sources")) {
                sources.add(n.asText());
            }
        }
        return new Provenance(p.text("kind"), p.optionalText("camera"), sources, p.integer64("frames"),
                p.has("from") ? p.instant("from") : null, p.has("to") ? p.instant("to") : null,
                p.optionalText("codec"), p.has("sample_fps") ? p.number("sample_fps") : 0,
                p.has("based_on") ? p.integer64("based_on") : 0);
    }

    /** Typed access to header fields, each failure naming the field. */
    private record Fields(Path file, JsonNode node, String prefix) {
        ModelFileException bad(String name, String problem) {
            return new ModelFileException(file, Check.HEADER, "header field '" + prefix + name + "' " + problem);
        }

        JsonNode get(String name) throws ModelFileException {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                throw bad(name, "is missing");
            }
            return v;
        }

        Fields object(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (!v.isObject()) {
                throw bad(name, "is not an object");
            }
            return new Fields(file, v, prefix + name + ".");
        }

        String text(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (!v.isTextual()) {
                throw bad(name, "is not a string");
            }
            return v.textValue();
        }

        boolean has(String name) {
            JsonNode v = node.get(name);
            return v != null && !v.isNull();
        }

        double[] optionalNumbers(String name) throws ModelFileException {
            if (!has(name)) {
                return new double[0];
            }
            JsonNode v = get(name);
            if (!v.isArray()) {
                throw bad(name, "is not an array");
            }
            double[] out = new double[v.size()];
            for (int i = 0; i < out.length; i++) {
                if (!v.get(i).isNumber()) {
                    throw bad(name, "element " + i + " is not a number");
                }
                out[i] = v.get(i).doubleValue();
            }
            return out;
        }

        String optionalText(String name) throws ModelFileException {
            JsonNode v = node.get(name);
            return v == null || v.isNull() ? null : text(name);
        }

        int integer(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw bad(name, "is not a 32-bit integer");
            }
            return v.intValue();
        }

        long integer64(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw bad(name, "is not a 64-bit integer");
            }
            return v.longValue();
        }

        double number(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (v.isNumber()) {
                return v.doubleValue();
            }
            if (v.isTextual()) {
                switch (v.textValue()) {
                    case "NaN":
                        return Double.NaN;
                    case "Infinity":
                        return Double.POSITIVE_INFINITY;
                    case "-Infinity":
                        return Double.NEGATIVE_INFINITY;
                    default:
                        break;
                }
            }
            throw bad(name, "is not a number");
        }

        int[] ints(String name) throws ModelFileException {
            JsonNode v = get(name);
            if (!v.isArray()) {
                throw bad(name, "is not an array");
            }
            int[] out = new int[v.size()];
            for (int i = 0; i < out.length; i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw bad(name, "element " + i + " is not a 32-bit integer");
                }
                out[i] = e.intValue();
            }
            return out;
        }

        Instant instant(String name) throws ModelFileException {
            String s = text(name);
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw bad(name, "is not an ISO-8601 instant: '" + s + "'");
            }
        }
    }

    // ---- byte plumbing ----

    private static long crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Reads until the buffer is full or the file ends; returns the bytes read. */
    private static int readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, position + total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    private static void syncDirectory(Path dir) {
        // makes the rename itself durable; not every platform can open a directory, and the model is complete either way
        try (FileChannel ch = FileChannel.open(dir, READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    /** Little-endian writer through one direct buffer; CRC32C over the floats (the payload). */
    private static final class Output {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();

        Output(FileChannel ch) {
            this.ch = ch;
        }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                if (!buf.hasRemaining()) {
                    flush();
                }
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        void u16(int v) throws IOException {
            ensure(2);
            buf.putShort((short) v);
        }

        void u32(long v) throws IOException {
            ensure(4);
            buf.putInt((int) v);
        }

        void floats(FloatBuffer src) throws IOException {
            FloatBuffer s = src.duplicate();
            while (s.hasRemaining()) {
                ensure(4);
                int n = Math.min(s.remaining(), buf.remaining() / 4);
                // the view's byte order is the buffer's (little-endian), whatever the source's order
                ByteBuffer region = buf.slice(buf.position(), 4 * n).order(ByteOrder.LITTLE_ENDIAN);
                region.asFloatBuffer().put(s.slice(s.position(), n));
                crc.update(region);
                s.position(s.position() + n);
                buf.position(buf.position() + 4 * n);
            }
        }

        void doubles(DoubleBuffer src) throws IOException {
            DoubleBuffer s = src.duplicate();
            while (s.hasRemaining()) {
                ensure(8);
                int n = Math.min(s.remaining(), buf.remaining() / 8);
                ByteBuffer region = buf.slice(buf.position(), 8 * n).order(ByteOrder.LITTLE_ENDIAN);
                region.asDoubleBuffer().put(s.slice(s.position(), n));
                crc.update(region);
                s.position(s.position() + n);
                buf.position(buf.position() + 8 * n);
            }
        }

        long payloadCrc() {
            return crc.getValue();
        }

        /** The next block's checksum starts afresh. */
        void resetCrc() {
            crc.reset();
        }

        private void ensure(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }
    }

    /** Little-endian reader from the channel's position through one direct buffer; CRC32C over the floats read. */
    private static final class Input {
        private final FileChannel ch;
        private final ByteBuffer buf;
        private final CRC32C crc = new CRC32C();

        Input(FileChannel ch, int capacity) {
            this.ch = ch;
            this.buf = ByteBuffer.allocateDirect(Math.max(capacity, 16)).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
        }

        private void fill(int n) throws IOException {
            if (buf.remaining() >= n) {
                return;
            }
            buf.compact();
            while (buf.position() < n) {
                if (ch.read(buf) < 0) {
                    throw new EOFException();
                }
            }
            buf.flip();
        }

        long u32() throws IOException {
            fill(4);
            return buf.getInt() & 0xffffffffL;
        }

        void floats(FloatBuffer dest) throws IOException {
            FloatBuffer d = dest.duplicate();
            while (d.hasRemaining()) {
                fill(4);
                int n = Math.min(d.remaining(), buf.remaining() / 4);
                ByteBuffer region = buf.slice(buf.position(), 4 * n).order(ByteOrder.LITTLE_ENDIAN);
                d.put(region.asFloatBuffer());
                crc.update(region);
                buf.position(buf.position() + 4 * n);
            }
        }

        void doubles(DoubleBuffer dest) throws IOException {
            DoubleBuffer d = dest.duplicate();
            while (d.hasRemaining()) {
                fill(8);
                int n = Math.min(d.remaining(), buf.remaining() / 8);
                ByteBuffer region = buf.slice(buf.position(), 8 * n).order(ByteOrder.LITTLE_ENDIAN);
                d.put(region.asDoubleBuffer());
                crc.update(region);
                buf.position(buf.position() + 8 * n);
            }
        }

        /** Reads {@code bytes} into the checksum only. */
        void skip(long bytes) throws IOException {
            long left = bytes;
            while (left > 0) {
                fill(1);
                int n = (int) Math.min(left, buf.remaining());
                crc.update(buf.slice(buf.position(), n));
                buf.position(buf.position() + n);
                left -= n;
            }
        }

        long payloadCrc() {
            return crc.getValue();
        }

        void resetCrc() {
            crc.reset();
        }
    }
}
