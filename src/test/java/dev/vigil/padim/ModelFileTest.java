package dev.vigil.padim;

import dev.vigil.padim.ModelFileException.Check;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ModelFileTest {
    private static final String SHA = "3f1c0a9e5b7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
    private static final int W = 4;
    private static final int H = 3;
    private static final int D = 7;

    @TempDir
    Path dir;

    private final List<PadimModel> opened = new ArrayList<>();

    @AfterEach
    void closeModels() {
        opened.forEach(PadimModel::close);
    }

    private PadimModel track(PadimModel m) {
        opened.add(m);
        return m;
    }

    private static ModelInfo info(int gridW, int gridH, int d, ThresholdStats threshold, String label) {
        int[] layers = {64, 128, 256};
        // distinct, ascending indices into the 448 concatenated channels, as ChannelSelection draws them
        int[] indices = new Random(d).ints(0, 448).distinct().limit(d).sorted().toArray();
        return new ModelInfo(new ModelInfo.Backbone("resnet18", SHA, layers, "resize-crop", gridW * 4, gridH * 4),
                new ModelInfo.Embedding(gridW, gridH, indices, -8_765_432_109_876_543_210L),
                new ModelInfo.Fit(0.01, 1234L), threshold, ModelInfo.FrameScoring.PLAIN,
                new ModelInfo.Origin(Instant.parse("2024-05-06T07:08:09.123456789Z"), label, null));
    }

    /** Random values plus a few that a lossy float path would change (negative zero, subnormal, extremes). */
    private PadimModel randomModel(int gridW, int gridH, int d, ThresholdStats threshold, String label, long seed) {
        Random rnd = new Random(seed);
        GaussianModel g = GaussianModel.allocate(gridW * gridH, d);
        float[] mean = g.mean();
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) rnd.nextGaussian();
        }
        mean[0] = -0.0f;
        mean[1] = Float.MIN_VALUE;
        mean[2] = Float.MAX_VALUE;
        float[] tri = new float[PackedTriangle.size(d)];
        for (int p = 0; p < g.positions(); p++) {
            for (int i = 0; i < tri.length; i++) {
                tri[i] = (float) rnd.nextGaussian() * 3;
            }
            g.setFactor(p, tri);
        }
        g.factorBuffer(g.positions() - 1).put(0, -Float.MIN_NORMAL);
        return track(new PadimModel(info(gridW, gridH, d, threshold, label), g));
    }

    static final Provenance PROVENANCE = new Provenance("learn", "gate-3", List.of("vigil.frames[2]"), 1300,
            Instant.parse("2024-05-06T06:00:00Z"), Instant.parse("2024-05-06T06:10:00.5Z"), "jpeg:90", 2.5, 0);

    private PadimModel smallModel() {
        PadimModel m = randomModel(W, H, D, ThresholdStats.fromNormalScores(new double[]{1.5, 2.25, 3.125, 2.0, 9.75}),
                "gate-3", 42);
        return new PadimModel(m.info().withProvenance(PROVENANCE), m.gaussian());
    }

    private Path written() throws IOException {
        Path file = dir.resolve("camera.vgm");
        ModelFile.write(file, smallModel());
        return file;
    }

    @Test
    void aModelFileIsReadableByItsOwnerOnlyEvenWhereAnOpenOneWas() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vigil.files.PrivateFiles.posix(dir));
        Path file = Files.writeString(dir.resolve("camera.vgm"), "an older file, open to all");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        ModelFile.write(file, smallModel());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        // partial fits go through the same writer (ModelContainer.write)
    }

    private static int headerLength(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return ByteBuffer.wrap(in.readNBytes(14)).order(ByteOrder.LITTLE_ENDIAN).getInt(10);
        }
    }

    /** Field by field; doubles by Double.equals (exact bits, NaN equals NaN) rather than AssertJ's tolerance. */
    private static void assertSameInfo(ModelInfo expected, ModelInfo actual) {
        assertThat(actual).usingRecursiveComparison()
                .withEqualsForType(Double::equals, Double.class)
                .isEqualTo(expected);
    }

    private static void assertSameFloats(PadimModel expected, PadimModel actual) {
        GaussianModel e = expected.gaussian();
        GaussianModel a = actual.gaussian();
        assertThat(a.positions()).isEqualTo(e.positions());
        assertThat(a.features()).isEqualTo(e.features());
        assertThat(bits(a.mean())).containsExactly(bits(e.mean()));
        for (int p = 0; p < e.positions(); p++) {
            assertThat(bits(a.factor(p))).as("factor of position %d", p).containsExactly(bits(e.factor(p)));
        }
    }

    /** Compared as bits: exact, and -0.0 differs from 0.0. */
    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private static ModelFileException refusal(Path file, boolean infoOnly) {
        return catchThrowableOfType(ModelFileException.class,
                () -> {
                    if (infoOnly) {
                        ModelFile.readInfo(file);
                    } else {
                        ModelFile.read(file).close();
                    }
                });
    }

    /** Refused alike by read, readInfo and verify, naming the file and the check. */
    private static void assertRefused(Path file, Check check, String... messageParts) {
        for (boolean infoOnly : new boolean[]{false, true}) {
            ModelFileException e = refusal(file, infoOnly);
            assertThat(e).as("%s refused (readInfo: %s)", file.getFileName(), infoOnly).isNotNull();
            assertNamed(e, file, check, messageParts);
        }
        assertNamed(catchThrowableOfType(ModelFileException.class, () -> ModelFile.verify(file)), file, check,
                messageParts);
    }

    private static void assertNamed(ModelFileException e, Path file, Check check, String... messageParts) {
        assertThat(e).as("%s refused", file).isNotNull();
        assertThat(e.check()).as(e.getMessage()).isEqualTo(check);
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith("model file " + file + " ").contains(messageParts);
    }

    /** A copy of {@code file} whose header is edited, its length and checksum made to match, the payload kept. */
    static Path withHeader(Path file, String name, UnaryOperator<String> edit) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int h = headerLength(file);
        byte[] header = edit.apply(new String(b, 14, h, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header);
        ByteBuffer out = ByteBuffer.allocate(b.length - h + header.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(b, 0, 10).putInt(header.length).put(header).putInt((int) crc.getValue())
                .put(b, 14 + h + 4, b.length - 14 - h - 4);
        return Files.write(file.resolveSibling(name), out.array());
    }

    /** A copy of {@code file} with another header length field, nothing else changed. */
    static Path withHeaderLength(Path file, String name, long length) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(10, (int) length);
        return Files.write(file.resolveSibling(name), b);
    }

    private static void flip(Path file, long offset) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) offset] ^= 0x10;
        Files.write(file, b);
    }

    private static void cut(Path file, long length) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(b, (int) length));
    }

    @Test
    void roundTripPreservesEveryFieldAndEveryFloat() throws IOException {
        PadimModel model = smallModel();
        Path file = dir.resolve("camera.vgm");
        ModelFile.write(file, model);

        PadimModel back = track(ModelFile.read(file));
        assertSameInfo(model.info(), back.info());
        assertSameFloats(model, back);
        assertSameInfo(model.info(), ModelFile.readInfo(file));
    }

    @Test
    void unsetThresholdAndMissingLabelRoundTrip() throws IOException {
        PadimModel model = randomModel(2, 5, 3, ThresholdStats.none().withThreshold(Double.POSITIVE_INFINITY),
                null, 7);
        Path file = dir.resolve("none.vgm");
        ModelFile.write(file, model);

        ModelInfo back = ModelFile.readInfo(file);
        assertSameInfo(model.info(), back);
        assertThat(back.threshold().mean()).isNaN();
        assertThat(back.label()).isNull();
        assertSameFloats(model, track(ModelFile.read(file)));
    }

    @Test
    void headerIsReadableJsonWithTheRuleAndPayloadDescription() throws IOException {
        Path file = written();
        byte[] b = Files.readAllBytes(file);
        assertThat(new String(b, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("VIGILPDM");
        assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 1);
        String header = new String(b, 14, headerLength(file), StandardCharsets.UTF_8);
        assertThat(header)
                .contains("\"rule\" : \"p99+1*(p99-p50)\"")
                .contains("\"scores\" : [ 1.5, 2.0, 2.25, 3.125, 9.75 ]")
                .contains("\"provenance\" : {", "\"kind\" : \"learn\"", "\"sample_fps\" : 2.5")
                .contains("\"payload_order\" : \"" + ModelFile.PAYLOAD_ORDER + "\"")
                .contains("\"created\" : \"2024-05-06T07:08:09.123456789Z\"")
                .contains("\"layer_channels\" : [ 64, 128, 256 ]")
                .contains("\"positions\" : 12", "\"features\" : 7",
                        "\"payload_bytes\" : " + ModelFile.payloadBytes(W * H, D));
    }

    @Test
    void aHeaderWrittenBeforeProvenanceAndScoresReadsWithNoneAndTheDefaultRule() throws IOException {
        Path file = written();
        byte[] b = Files.readAllBytes(file);
        int h = headerLength(file);
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Arrays.copyOfRange(b, 14, 14 + h));
        json.remove("provenance");
        json.remove("frame_score");
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("threshold")).remove("scores");
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("threshold")).put("rule", ThresholdStats.LEGACY_RULE);
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header);
        ByteBuffer legacy = ByteBuffer.allocate(b.length - h + header.length).order(ByteOrder.LITTLE_ENDIAN);
        legacy.put(b, 0, 10).putInt(header.length).put(header).putInt((int) crc.getValue())
                .put(b, 14 + h + 4, b.length - 14 - h - 4);
        Path old = Files.write(dir.resolve("old.vgm"), legacy.array());

        ModelInfo info = ModelFile.verify(old);
        assertThat(info.provenance()).isNull();
        assertThat(info.frameScore()).isEqualTo(FrameScore.MAX);
        assertThat(info.threshold().rule()).isEqualTo("p99+1*(p99-p50)");
        assertThat(info.threshold().scores()).isEmpty();
        assertThat(info.threshold().withRule(ThresholdRule.parse("p95")).threshold()).isEqualTo(info.threshold().p95());
        assertThatThrownBy(() -> info.threshold().withRule(ThresholdRule.parse("quantile:0.999")))
                .hasMessageContaining("holds no held-back scores");
    }

    @Test
    void theFrameScoreRoundTripsAndAnUnknownOneIsRefusedByName() throws IOException {
        PadimModel model = smallModel();
        Path file = dir.resolve("top.vgm");
        PadimModel top = new PadimModel(model.info().withFrameScore(FrameScore.parse("top:0.05")), model.gaussian());
        ModelFile.write(file, top);
        assertThat(ModelFile.readInfo(file).frameScore()).isEqualTo(new FrameScore(0.05));
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)).contains("\"frame_score\" : \"top:0.05\"");

        byte[] b = Files.readAllBytes(file);
        int h = headerLength(file);
        String header = new String(b, 14, h, StandardCharsets.UTF_8).replace("\"top:0.05\"", "\"top:2.00\"");
        byte[] bad = header.getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bad);
        ByteBuffer patched = ByteBuffer.wrap(b.clone()).order(ByteOrder.LITTLE_ENDIAN);
        patched.position(14);
        patched.put(bad).putInt((int) crc.getValue());
        Path refused = Files.write(dir.resolve("bad-score.vgm"), patched.array());
        assertRefused(refused, Check.HEADER, "frame_score", "top:2.00");
    }

    @Test
    void theHeaderIsReadFromAModelsFirstBytesAlone() throws IOException {
        Path file = written();
        byte[] b = Files.readAllBytes(file);
        ModelInfo info = ModelFile.readInfo(Arrays.copyOf(b, 14 + headerLength(file) + 4), Path.of("cam version 7"));
        assertSameInfo(ModelFile.readInfo(file), info);
        assertThatThrownBy(() -> ModelFile.readInfo(Arrays.copyOf(b, 40), Path.of("cam version 7")))
                .hasMessageContaining("cam version 7").hasMessageContaining("truncated");
    }

    @Test
    void writeReplacesAnExistingModelAndLeavesNoTemporaryFile() throws IOException {
        Path file = written();
        PadimModel other = randomModel(W, H, D, ThresholdStats.none(), "second", 99);
        ModelFile.write(file, other);

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
        assertSameFloats(other, track(ModelFile.read(file)));
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile() throws IOException {
        // a non-empty folder under the model's name makes the final rename fail after the data is written
        Path blocker = Files.createDirectory(dir.resolve("blocked.vgm"));
        Files.writeString(blocker.resolve("keep"), "x");

        assertThatThrownBy(() -> ModelFile.write(blocker, smallModel())).isInstanceOf(IOException.class);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(blocker);
        }
    }

    @Test
    void aFlippedPayloadByteIsRefusedByReadButNotByReadInfo() throws IOException {
        Path file = written();
        long payloadStart = 14 + headerLength(file) + 4;
        for (long offset : new long[]{payloadStart, payloadStart + 4L * W * H * D + 5, Files.size(file) - 5,
                Files.size(file) - 1}) {
            Path copy = dir.resolve("flip-" + offset + ".vgm");
            Files.copy(file, copy);
            flip(copy, offset);
            ModelFileException e = refusal(copy, false);
            assertThat(e.check()).as("offset %d", offset).isEqualTo(Check.PAYLOAD_CHECKSUM);
            assertThat(e.getMessage()).contains(copy.getFileName().toString(), "payload checksum mismatch");
            // readInfo skips the payload by design: only its length is checked
            assertThat(ModelFile.readInfo(copy).label()).isEqualTo("gate-3");
            // verify streams the payload and refuses it like read
            assertThatThrownBy(() -> ModelFile.verify(copy)).isInstanceOfSatisfying(ModelFileException.class,
                    v -> assertThat(v.check()).isEqualTo(Check.PAYLOAD_CHECKSUM));
        }
        assertThat(ModelFile.verify(file).label()).isEqualTo("gate-3");
    }

    /** The small model with a motion stream: a second block of other random Gaussians and the blend in the header. */
    private PadimModel motionModel() {
        PadimModel plain = smallModel();
        GaussianModel motion = randomModel(W, H, D, ThresholdStats.none(), null, 7).gaussian();
        return track(new PadimModel(plain.info().withFrameScore(FrameScore.parse("top:0.05"))
                .withMotion(new MotionBlend(3, 12.5, 0.875, 1100)), plain.gaussian(), motion));
    }

    /** A copy of the file claiming another format version. */
    private Path withVersion(Path file, int version, String name) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) version);
        Path copy = dir.resolve(name);
        Files.write(copy, b);
        return copy;
    }

    /** A copy of the file with one byte flipped at each offset is refused by read and verify, naming the check. */
    private void assertFlipsRefused(Path file, long[] offsets, Check check, String message) throws IOException {
        for (long offset : offsets) {
            Path copy = dir.resolve(file.getFileName() + "-flip-" + offset + ".vgm");
            Files.copy(file, copy);
            flip(copy, offset);
            ModelFileException e = refusal(copy, false);
            assertThat(e.check()).as("offset %d", offset).isEqualTo(check);
            assertThat(e.getMessage()).contains(copy.toString(), message);
            assertThatThrownBy(() -> ModelFile.verify(copy)).isInstanceOfSatisfying(ModelFileException.class,
                    v -> assertThat(v.check()).isEqualTo(check));
        }
    }

    /** The motion model with a patch memory: 2 patches per row, a third block, and the memory blend in the header. */
    private PadimModel memoryModel(boolean motion) {
        PadimModel base = motion ? motionModel() : smallModel();
        float[] patches = new float[H * 2 * D];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < patches.length; i++) {
            patches[i] = (float) r.nextGaussian();
        }
        PatchMemory memory = PatchMemory.of(W, H, D, 2, patches);
        return new PadimModel(base.info().withMemory(new MemoryBlend(1, 0.9, 4.5, 12.5, 2.25, 2)), base.gaussian(),
                base.motion(), memory);
    }

    @Test
    void aModelWithAPatchMemoryRoundTripsAsVersion3WithOrWithoutAMotionStream() throws IOException {
        for (boolean motion : new boolean[]{true, false}) {
            PadimModel model = memoryModel(motion);
            Path file = dir.resolve("memory-" + motion + ".vgm");
            ModelFile.write(file, model);
            PadimModel back = track(ModelFile.read(file));
            assertSameInfo(model.info(), back.info());
            assertSameFloats(model, back);
            assertThat(back.hasMotion()).isEqualTo(motion);
            assertThat(back.info().memory()).isEqualTo(new MemoryBlend(1, 0.9, 4.5, 12.5, 2.25, 2));
            assertThat(back.memory().patches()).containsExactly(model.memory().patches());
            long block = ModelFile.payloadBytes(W * H, D);
            long memoryBlock = 4L * H * 2 * D;
            assertThat(Files.size(file)).isEqualTo(ModelFile.FIXED_OVERHEAD + headerLength(file)
                    + (motion ? 2 * block + 4 : block) + memoryBlock + 4);
            assertThat(ModelFile.verify(file).memory()).isEqualTo(model.info().memory());
            byte[] b = Files.readAllBytes(file);
            assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 3);
            String header = new String(b, 14, headerLength(file), StandardCharsets.UTF_8);
            assertThat(header).contains("\"memory\"", "\"radius\" : 1", "\"gate_quantile\" : 0.9",
                    "\"patches_per_row\" : 2", "\"payload_order\" : \"patches f32le [grid_height][patches_per_row][d]\"");
        }
    }

    @Test
    void aDamagedOrMissingPatchMemoryBlockIsRefusedNamingIt() throws IOException {
        Path file = dir.resolve("memory.vgm");
        ModelFile.write(file, memoryModel(true));
        long memoryBlock = 4L * H * 2 * D;
        long memoryStart = Files.size(file) - 4 - memoryBlock;
        assertFlipsRefused(file, new long[]{memoryStart, memoryStart + memoryBlock / 2, Files.size(file) - 1},
                Check.MEMORY_PAYLOAD_CHECKSUM, "patch memory block checksum mismatch (damaged)");
        // cut before the memory block: the message names the three blocks and their sizes
        Path cut = dir.resolve("memory-cut.vgm");
        Files.copy(file, cut);
        cut(cut, memoryStart);
        assertRefused(cut, Check.TRUNCATED, "truncated: expected", "(appearance)", "(motion)",
                memoryBlock + " (patch memory)");
        // a version-2 file claiming a memory, and a version-3 one without: refused by the header check
        assertRefused(withVersion(file, 2, "memory-v2.vgm"), Check.HEADER, "header field 'memory' is present, but "
                + "format version 2 has no patch memory block");
        Path motionOnly = dir.resolve("motion.vgm");
        ModelFile.write(motionOnly, motionModel());
        assertRefused(withVersion(motionOnly, 3, "motion-v3.vgm"), Check.HEADER, "header field 'memory' is missing "
                + "(format version 3 has a patch memory block)");
    }

    @Test
    void aPatchMemoryWithAValueThatIsNotFiniteIsNeitherWrittenNorRead() {
        float[] patches = new float[H * 2 * D];
        patches[3] = Float.NaN;
        assertThatThrownBy(() -> PatchMemory.of(W, H, D, 2, patches)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not finite");
    }

    @Test
    void aModelWithAMotionStreamRoundTripsAsVersion2AndAPlainOneStaysVersion1() throws IOException {
        PadimModel model = motionModel();
        Path file = dir.resolve("motion.vgm");
        ModelFile.write(file, model);
        PadimModel back = track(ModelFile.read(file));
        assertSameInfo(model.info(), back.info());
        assertSameFloats(model, back);
        assertSameFloats(new PadimModel(model.info().withMotion(null), model.motion()),
                new PadimModel(back.info().withMotion(null), back.motion()));
        assertThat(back.info().motion()).isEqualTo(new MotionBlend(3, 12.5, 0.875, 1100));
        long block = ModelFile.payloadBytes(W * H, D);
        assertThat(Files.size(file)).isEqualTo(ModelFile.FIXED_OVERHEAD + headerLength(file) + 2 * block + 4);
        assertThat(ModelFile.verify(file).motion()).isEqualTo(model.info().motion());
        byte[] b = Files.readAllBytes(file);
        assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 2);
        String header = new String(b, 14, headerLength(file), StandardCharsets.UTF_8);
        assertThat(header).contains("\"motion\"", "\"weight\" : 3.0", "\"appearance_scale\" : 12.5",
                "\"training_pairs\" : 1100");

        // without a motion stream, the file is what version 1 always was: an older Vigil reads it
        Path plain = written();
        byte[] p = Files.readAllBytes(plain);
        assertThat(ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 1);
        assertThat(new String(p, 14, headerLength(plain), StandardCharsets.UTF_8)).doesNotContain("motion");
        assertThat(track(ModelFile.read(plain)).hasMotion()).isFalse();
    }

    @Test
    void aDamagedMotionBlockIsRefusedNamingIt() throws IOException {
        Path file = dir.resolve("motion.vgm");
        ModelFile.write(file, motionModel());
        long block = ModelFile.payloadBytes(W * H, D);
        long motionStart = 14 + headerLength(file) + 4 + block + 4;
        assertFlipsRefused(file, new long[]{motionStart, motionStart + block / 2, Files.size(file) - 1},
                Check.MOTION_PAYLOAD_CHECKSUM, "motion block checksum mismatch (damaged)");
        // a motion file cut to its appearance block, or a version-1 file claiming one
        Path cut = dir.resolve("motion-cut.vgm");
        Files.copy(file, cut);
        cut(cut, motionStart);
        assertRefused(cut, Check.TRUNCATED, "truncated: expected " + block + " payload bytes and a 4-byte checksum, "
                + "twice (appearance and motion blocks)");
        assertRefused(withVersion(file, 1, "motion-v1.vgm"), Check.HEADER, "header field 'motion' is present, but format version 1 has no motion block");
    }

    @Test
    void aFlippedHeaderByteIsRefused() throws IOException {
        Path file = written();
        int h = headerLength(file);
        for (long offset : new long[]{14, 14 + h / 2, 14 + h - 1, 14 + h + 2}) {
            Path copy = dir.resolve("header-" + offset + ".vgm");
            Files.copy(file, copy);
            flip(copy, offset);
            assertRefused(copy, Check.HEADER_CHECKSUM, "header checksum mismatch");
        }
    }

    @Test
    void aTruncatedFileIsRefusedWhereverItIsCut() throws IOException {
        Path file = written();
        long size = Files.size(file);
        int h = headerLength(file);
        long payloadStart = 14 + h + 4;
        long[] cuts = {0, 5, 8, 13, 14, 14 + h / 2, 14 + h, 14 + h + 2, payloadStart, payloadStart + 1,
                payloadStart + 4L * W * H * D, size - 4, size - 1};
        for (long cut : cuts) {
            Path copy = dir.resolve("cut-" + cut + ".vgm");
            Files.copy(file, copy);
            cut(copy, cut);
            assertRefused(copy, Check.TRUNCATED, "truncated: expected");
        }
        Path copy = dir.resolve("cut-payload.vgm");
        Files.copy(file, copy);
        cut(copy, size - 10);
        assertRefused(copy, Check.TRUNCATED, "truncated: expected " + ModelFile.payloadBytes(W * H, D)
                + " payload bytes and a 4-byte checksum, found " + (size - 10 - payloadStart));
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRefusedBeforeTheHeaderIsRead() throws IOException {
        Path file = written();
        long size = Files.size(file);
        assertRefused(withHeaderLength(file, "long-header.vgm", size + 1000), Check.TRUNCATED,
                "truncated: expected " + (size + 1000) + " header bytes and a 4-byte checksum, found " + (size - 14));
        // over the bound, whatever the file's size: a damaged length field, not gigabytes to allocate
        assertRefused(withHeaderLength(file, "huge-header.vgm", 1L << 30), Check.HEADER,
                "header length 1073741824 is implausible (damaged length field)");
        assertRefused(withHeaderLength(file, "max-header.vgm", 0xffffffffL), Check.HEADER,
                "header length 4294967295 is implausible");
        assertRefused(withHeaderLength(file, "no-header.vgm", 0), Check.HEADER, "header length 0 is implausible");

        // the same from a chunk's bytes, which need not hold the whole model
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(10, 1 << 30);
        Path name = Path.of("cam version 7");
        ModelFileException chunk = catchThrowableOfType(ModelFileException.class,
                () -> ModelFile.readInfo(Arrays.copyOf(b, 4096), name));
        assertNamed(chunk, name, Check.HEADER, "header length 1073741824 is implausible");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(10, 5000);
        chunk = catchThrowableOfType(ModelFileException.class, () -> ModelFile.readInfo(Arrays.copyOf(b, 4096), name));
        assertNamed(chunk, name, Check.TRUNCATED, "truncated: expected 5000 header bytes and a 4-byte checksum, "
                + "found 4082");
    }

    @Test
    void absurdSizesInAnIntactHeaderAreRefusedBeforeThePayloadIsAllocated() throws IOException {
        Path file = written();
        String grid = "\"grid_width\" : " + W + ",\n  \"grid_height\" : " + H;
        String sizes = "\"positions\" : " + W * H + ",\n  \"features\" : " + D + ",\n  \"payload_bytes\" : "
                + ModelFile.payloadBytes(W * H, D);
        // 2^28 positions of 7 features: a 37.6 GB payload that the 3 KB file does not hold, refused by its length
        int positions = 1 << 28;
        long claimed = ModelFile.payloadBytes(positions, D);
        Path big = withHeader(file, "big-grid.vgm", h -> h
                .replace(grid, "\"grid_width\" : 32768,\n  \"grid_height\" : 8192")
                .replace(sizes, "\"positions\" : " + positions + ",\n  \"features\" : " + D
                        + ",\n  \"payload_bytes\" : " + claimed));
        assertRefused(big, Check.TRUNCATED, "truncated: expected " + claimed + " payload bytes and a 4-byte checksum");

        // 2^30 positions: more values than one array holds, refused by the header itself
        Path huge = withHeader(file, "huge-grid.vgm", h -> h
                .replace(grid, "\"grid_width\" : 32768,\n  \"grid_height\" : 32768")
                .replace(sizes, "\"positions\" : " + (1 << 30) + ",\n  \"features\" : " + D
                        + ",\n  \"payload_bytes\" : " + ModelFile.payloadBytes(1 << 30, D)));
        assertRefused(huge, Check.HEADER, "header field 'features' (7 at 1073741824 positions) is too large to load");

        Path channels = withHeader(file, "huge-d.vgm", h -> h.replace("\"features\" : " + D,
                "\"features\" : " + (1 << 30)));
        assertRefused(channels, Check.HEADER, "header field 'features' (1073741824) is inconsistent with "
                + "channel_indices (7 values)");
    }

    @Test
    void aWrongMagicIsRefused() throws IOException {
        Path file = written();
        Path copy = dir.resolve("magic.vgm");
        Files.copy(file, copy);
        flip(copy, 3);
        assertRefused(copy, Check.MAGIC, "is not a Vigil model (bad magic)");

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hi");
        assertRefused(text, Check.MAGIC, "bad magic");
    }

    @Test
    void aFutureVersionIsRefused() throws IOException {
        assertRefused(withVersion(written(), 7, "future.vgm"), Check.VERSION, "format version 7 is newer than this Vigil supports (3)");
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        Path file = written();
        Path copy = dir.resolve("trailing.vgm");
        Files.copy(file, copy);
        Files.write(copy, new byte[]{0, 1, 2}, java.nio.file.StandardOpenOption.APPEND);
        assertRefused(copy, Check.TRAILING_DATA, "has 3 bytes of trailing data");
    }

    @Test
    void aHeaderWhoseFieldsContradictEachOtherIsRefused() throws IOException {
        Path file = written();
        byte[] b = Files.readAllBytes(file);
        int h = headerLength(file);
        String header = new String(b, 14, h, StandardCharsets.UTF_8);
        // a header that passes its checksum but claims 8 features for 7 channel indices
        byte[] bad = header.replace("\"features\" : 7", "\"features\" : 8").getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bad);
        ByteBuffer out = ByteBuffer.allocate(b.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(b, 0, 14).put(bad).putInt((int) crc.getValue()).put(b, 14 + h + 4, b.length - 14 - h - 4);
        Path copy = dir.resolve("contradiction.vgm");
        Files.write(copy, out.array());
        assertRefused(copy, Check.HEADER, "header field 'features' (8) is inconsistent with channel_indices");
    }

    @Test
    void aModelThatCouldNotBeReadBackIsNotWritten() {
        PadimModel model = smallModel();
        ModelInfo noSha = new ModelInfo(
                new ModelInfo.Backbone("resnet18", null, model.info().layerChannels(), "resize", 16, 12),
                model.info().embedding(), new ModelInfo.Fit(0.01, 10), ThresholdStats.none(), null,
                new ModelInfo.Origin(Instant.now(), null, null));
        Path file = dir.resolve("nosha.vgm");
        assertThatThrownBy(() -> ModelFile.write(file, new PadimModel(noSha, model.gaussian())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'backbone_sha256' is missing");
        assertThat(file).doesNotExist();
    }

    @Test
    void a56x56ModelAtD100RoundTripsUnder70Megabytes() throws IOException {
        int positions = 56 * 56;
        int d = 100;
        GaussianModel g = GaussianModel.allocate(positions, d);
        Random rnd = new Random(5);
        float[] mean = g.mean();
        for (int i = 0; i < mean.length; i++) {
            mean[i] = rnd.nextFloat();
        }
        float[] tri = new float[PackedTriangle.size(d)];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < tri.length; i++) {
                tri[i] = rnd.nextFloat() - 0.5f;
            }
            g.setFactor(p, tri);
        }
        PadimModel model = track(new PadimModel(info(56, 56, d, ThresholdStats.none(), "big"), g));
        Path file = dir.resolve("big.vgm");
        ModelFile.write(file, model);

        long size = Files.size(file);
        assertThat(size).isEqualTo(ModelFile.FIXED_OVERHEAD + headerLength(file) + 4L * 3136 * (100 + 5050))
                .isEqualTo(ModelFile.FIXED_OVERHEAD + headerLength(file) + model.gaussian().bytes())
                .isLessThan(70_000_000);
        PadimModel back = track(ModelFile.read(file));
        assertSameInfo(model.info(), back.info());
        assertThat(bits(back.gaussian().mean())).containsExactly(bits(mean));
        for (int p = 0; p < positions; p++) {
            FloatBuffer expected = model.gaussian().factorBuffer(p);
            assertThat(back.gaussian().factorBuffer(p).compareTo(expected)).as("position %d", p).isZero();
        }
    }
}
