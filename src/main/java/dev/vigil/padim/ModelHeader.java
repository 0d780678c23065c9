package dev.vigil.padim;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.vigil.padim.ModelFileException.Check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;

/**
 * The JSON header of a model or partial-fit file (docs/model-format.md, "Header fields"), mapped by Jackson. Its
 * components, in the order they are written, are the one list of header fields that reading and writing share; the
 * compact constructors refuse what the format does not allow, naming the field, so a header that reads is one whose
 * sizes agree with each other. The numbers are boxed so that a missing field is told from a zero.
 *
 * <p>What a header means also depends on the file around it (its kind and format version): {@link #decode} checks
 * that; {@link ModelContainer} checks the payload's length against {@link #payloadBytes()} before anything is
 * allocated for it.
 */
record ModelHeader(@JsonProperty("backbone_name") String backboneName,
                   @JsonProperty("backbone_sha256") String backboneSha256,
                   @JsonProperty("layer_channels") int[] layerChannels,
                   String preprocessing,
                   @JsonProperty("input_width") Integer inputWidth,
                   @JsonProperty("input_height") Integer inputHeight,
                   @JsonProperty("grid_width") Integer gridWidth,
                   @JsonProperty("grid_height") Integer gridHeight,
                   @JsonProperty("channel_indices") int[] channelIndices,
                   Long seed,
                   Double eps,
                   @JsonProperty("training_frames") Long trainingFrames,
                   Threshold threshold,
                   String created,
                   String label,
                   @JsonProperty("frame_score") String frameScore,
                   @JsonInclude(NON_NULL) Motion motion,
                   @JsonInclude(NON_NULL) Memory memory,
                   @JsonInclude(NON_NULL) Source provenance,
                   Integer positions,
                   Integer features,
                   @JsonProperty("payload_bytes") Long payloadBytes,
                   @JsonProperty("payload_order") String payloadOrder) {

    /**
     * Strict where Jackson is lenient by default: no number from a string (but "NaN" and the infinities, as
     * non-finite doubles are written), no string from a number, no int from a fraction, no null in an int array, no
     * duplicate field, nothing after the object. Unknown fields are ignored, as the format promises.
     */
    private static final ObjectMapper JSON = strictMapper();

    ModelHeader {
        required("backbone_name", backboneName);
        required("backbone_sha256", backboneSha256);
        required("layer_channels", layerChannels);
        required("preprocessing", preprocessing);
        positive("input_width", inputWidth);
        positive("input_height", inputHeight);
        positive("grid_width", gridWidth);
        positive("grid_height", gridHeight);
        required("channel_indices", channelIndices);
        required("seed", seed);
        required("eps", eps);
        required("training_frames", trainingFrames);
        required("threshold", threshold);
        instant("created", required("created", created));
        if (frameScore != null) {
            try {
                FrameScore.parse(frameScore);
            } catch (IllegalArgumentException e) {
                throw invalid("frame_score", "is not a frame score: " + e.getMessage());
            }
        }
        positive("positions", positions);
        positive("features", features);
        required("payload_bytes", payloadBytes);
        required("payload_order", payloadOrder);

        if (positions != (long) gridWidth * gridHeight) {
            throw invalid("positions", "(" + positions + ") is inconsistent with grid_width x grid_height ("
                    + gridWidth + " x " + gridHeight + ")");
        }
        if (features != channelIndices.length) {
            throw invalid("features", "(" + features + ") is inconsistent with channel_indices ("
                    + channelIndices.length + " values)");
        }
        // the mean is one Java array and a factor is indexed by int; this also keeps payloadBytes from overflowing
        if ((long) positions * features > Integer.MAX_VALUE - 8
                || (long) features * (features + 1) / 2 > Integer.MAX_VALUE) {
            throw invalid("features", "(" + features + " at " + positions + " positions) is too large to load");
        }
        ModelFileKind kind = ModelFileKind.ofPayloadOrder(payloadOrder);
        if (kind == null) {
            throw invalid("payload_order", "is unsupported: '" + payloadOrder + "'");
        }
        long expectedBytes = kind.payloadBytes(positions, features);
        if (payloadBytes != expectedBytes) {
            throw invalid("payload_bytes", "(" + payloadBytes + ") is inconsistent with positions and features "
                    + "(expected " + expectedBytes + ")");
        }
        long channels = 0;
        for (int c : layerChannels) {
            if (c <= 0) {
                throw invalid("layer_channels", "holds " + c + ": every layer has a positive number of channels");
            }
            channels += c;
        }
        for (int c : channelIndices) {
            if (c < 0 || c >= channels) {
                throw invalid("channel_indices", "holds " + c + ", outside the " + channels
                        + " channels of layer_channels");
            }
        }
        if (motion != null) {
            // the motion block is laid out and sized as the appearance one
            long modelBytes = ModelFileKind.MODEL.payloadBytes(positions, features);
            if (motion.payloadBytes() != modelBytes) {
                throw invalid("motion.payload_bytes", "(" + motion.payloadBytes() + ") is inconsistent with "
                        + "positions and features (expected " + modelBytes + ")");
            }
            if (!motion.payloadOrder().equals(ModelFileKind.MODEL.payloadOrder())) {
                throw invalid("motion.payload_order", "is unsupported: '" + motion.payloadOrder() + "'");
            }
        }
        if (memory != null) {
            long memoryBytes = PatchMemory.bytes(gridHeight, memory.patchesPerRow(), features);
            if (memory.payloadBytes() != memoryBytes) {
                throw invalid("memory.payload_bytes", "(" + memory.payloadBytes() + ") is inconsistent with "
                        + "grid_height, memory.patches_per_row and features (expected " + memoryBytes + ")");
            }
            if (memoryBytes > Integer.MAX_VALUE - 8) {
                throw invalid("memory.patches_per_row", "(" + memory.patchesPerRow() + ") is too large to load");
            }
            if (!memory.payloadOrder().equals(Memory.PAYLOAD_ORDER)) {
                throw invalid("memory.payload_order", "is unsupported: '" + memory.payloadOrder() + "'");
            }
        }
    }

    /** The {@code memory} object: how the patch memory is asked, and its block's layout (format version 3). */
    record Memory(Integer radius, @JsonProperty("gate_quantile") Double gateQuantile, Double gate,
                  @JsonProperty("appearance_scale") Double appearanceScale,
                  @JsonProperty("memory_scale") Double memoryScale,
                  @JsonProperty("patches_per_row") Integer patchesPerRow,
                  @JsonProperty("payload_bytes") Long payloadBytes,
                  @JsonProperty("payload_order") String payloadOrder) {
        static final String PAYLOAD_ORDER = "patches f32le [grid_height][patches_per_row][d]";

        Memory {
            required("memory.radius", radius);
            required("memory.gate_quantile", gateQuantile);
            required("memory.gate", gate);
            required("memory.appearance_scale", appearanceScale);
            required("memory.memory_scale", memoryScale);
            positive("memory.patches_per_row", patchesPerRow);
            required("memory.payload_bytes", payloadBytes);
            required("memory.payload_order", payloadOrder);
            try {
                blend(radius, gateQuantile, gate, appearanceScale, memoryScale, patchesPerRow);
            } catch (IllegalArgumentException e) {
                throw invalid("memory", "is not a usable memory blend: " + e.getMessage());
            }
        }

        private static MemoryBlend blend(int radius, double quantile, double gate, double appearanceScale,
                                         double memoryScale, int perRow) {
            return new MemoryBlend(radius, quantile, gate, appearanceScale, memoryScale, perRow);
        }

        static Memory of(MemoryBlend m, int gridHeight, int features) {
            return new Memory(m.radius(), m.gateQuantile(), m.gate(), m.appearanceScale(), m.memoryScale(),
                    m.patchesPerRow(), PatchMemory.bytes(gridHeight, m.patchesPerRow(), features), PAYLOAD_ORDER);
        }

        MemoryBlend blend() {
            return blend(radius, gateQuantile, gate, appearanceScale, memoryScale, patchesPerRow);
        }
    }

    /**
     * The {@code threshold} object.
     *
     * @param rule   absent, or the legacy description, in files written before rules were configurable: those read
     *               as the default rule
     * @param scores absent in files written before they were stored: those read as none
     */
    record Threshold(String rule, Integer frames, Double mean, Double std, Double p50, Double p95, Double p99,
                     Double max, Double threshold, double[] scores) {
        Threshold {
            if (rule == null || rule.equals(ThresholdStats.LEGACY_RULE)) {
                rule = ThresholdRule.DEFAULT.toString();
            }
            if (required("threshold.frames", frames) < 0) {
                throw invalid("threshold.frames", "must not be negative, is " + frames);
            }
            required("threshold.mean", mean);
            required("threshold.std", std);
            required("threshold.p50", p50);
            required("threshold.p95", p95);
            required("threshold.p99", p99);
            required("threshold.max", max);
            required("threshold.threshold", threshold);
            if (scores == null) {
                scores = new double[0];
            }
        }

        static Threshold of(ThresholdStats t) {
            return new Threshold(t.rule(), t.frames(), t.mean(), t.std(), t.p50(), t.p95(), t.p99(), t.max(),
                    t.threshold(), t.scores());
        }

        ThresholdStats stats() {
            return new ThresholdStats(frames, mean, std, p50, p95, p99, max, threshold, rule, scores);
        }
    }

    /** The {@code motion} object: the blend, and the second block's layout (that of the first). */
    record Motion(Double weight, @JsonProperty("appearance_scale") Double appearanceScale,
                  @JsonProperty("motion_scale") Double motionScale,
                  @JsonProperty("training_pairs") Long trainingPairs,
                  @JsonProperty("payload_bytes") Long payloadBytes,
                  @JsonProperty("payload_order") String payloadOrder) {
        Motion {
            required("motion.weight", weight);
            required("motion.appearance_scale", appearanceScale);
            required("motion.motion_scale", motionScale);
            required("motion.training_pairs", trainingPairs);
            required("motion.payload_bytes", payloadBytes);
            required("motion.payload_order", payloadOrder);
            try {
                blend(weight, appearanceScale, motionScale, trainingPairs);
            } catch (IllegalArgumentException e) {
                throw invalid("motion", "is not a usable blend: " + e.getMessage());
            }
        }

        private static MotionBlend blend(double weight, double appearanceScale, double motionScale, long pairs) {
            return new MotionBlend(weight, appearanceScale, motionScale, pairs);
        }

        static Motion of(MotionBlend m, int positions, int features) {
            return new Motion(m.weight(), m.appearanceScale(), m.motionScale(), m.trainingPairs(),
                    ModelFileKind.MODEL.payloadBytes(positions, features), ModelFileKind.MODEL.payloadOrder());
        }

        MotionBlend blend() {
            return blend(weight, appearanceScale, motionScale, trainingPairs);
        }
    }

    /** The {@code provenance} object: absent in files written before provenance was recorded. */
    record Source(String kind, String camera, List<String> sources, Long frames, String from, String to,
                  String codec, @JsonProperty("sample_fps") Double sampleFps, @JsonProperty("based_on") Long basedOn) {
        Source {
            required("provenance.kind", kind);
            required("provenance.frames", frames);
            sources = sources == null ? List.of() : sources;
            if (sources.stream().anyMatch(Objects::isNull)) {
                throw invalid("provenance.sources", "holds a null");
            }
            if (from != null) {
                instant("provenance.from", from);
            }
            if (to != null) {
                instant("provenance.to", to);
            }
            sampleFps = sampleFps == null ? 0 : sampleFps;
            basedOn = basedOn == null ? 0 : basedOn;
        }

        static Source of(Provenance p) {
            return new Source(p.kind(), p.camera(), p.sources(), p.frames(), text(p.from()), text(p.to()), p.codec(),
                    p.sampleFps(), p.basedOn());
        }

        Provenance provenance() {
            return new Provenance(kind, camera, sources, frames, from == null ? null : Instant.parse(from),
                    to == null ? null : Instant.parse(to), codec, sampleFps, basedOn);
        }
    }

    /** @throws IllegalArgumentException naming the field, when the description could not be read back */
    private static ModelHeader of(ModelInfo info, int positions, int features, ModelFileKind kind) {
        MotionBlend m = info.motion();
        return new ModelHeader(info.backboneName(), info.backboneSha256(), info.layerChannels(),
                info.preprocessing(), info.inputWidth(), info.inputHeight(), info.gridWidth(), info.gridHeight(),
                info.channelIndices(), info.seed(), info.eps(), info.trainingFrames(),
                info.threshold() == null ? null : Threshold.of(info.threshold()), text(info.created()), info.label(),
                info.frameScore().toString(), m == null ? null : Motion.of(m, positions, features),
                info.memory() == null ? null : Memory.of(info.memory(), info.gridHeight(), features),
                info.provenance() == null ? null : Source.of(info.provenance()), positions, features,
                kind.payloadBytes(positions, features), kind.payloadOrder());
    }

    /** What the header describes. */
    ModelInfo info() {
        return new ModelInfo(
                new ModelInfo.Backbone(backboneName, backboneSha256, layerChannels, preprocessing, inputWidth,
                        inputHeight),
                new ModelInfo.Embedding(gridWidth, gridHeight, channelIndices, seed),
                new ModelInfo.Fit(eps, trainingFrames),
                threshold.stats(),
                new ModelInfo.FrameScoring(frameScore == null ? FrameScore.MAX : FrameScore.parse(frameScore),
                        motion == null ? null : motion.blend(), memory == null ? null : memory.blend()),
                new ModelInfo.Origin(Instant.parse(created), label,
                        provenance == null ? null : provenance.provenance()));
    }

    /** The kind of file whose payload {@code payload_order} describes (validated: never null). */
    ModelFileKind kind() {
        return ModelFileKind.ofPayloadOrder(payloadOrder);
    }

    /**
     * The bytes of the header describing {@code info} in a file of {@code kind} and {@code version}, refused unless
     * {@link #decode} accepts them: a file that its reader would refuse is never written.
     *
     * @throws IllegalArgumentException naming the file and the field
     */
    static byte[] encode(Path target, ModelInfo info, int positions, int features, ModelFileKind kind, int version) {
        try {
            byte[] header = of(info, positions, features, kind).json();
            decode(target, header, kind, version);
            return header;
        } catch (ModelFileException e) {
            throw new IllegalArgumentException("cannot write " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot write " + kind.noun() + " file " + target + ": "
                    + e.getMessage(), e);
        }
    }

    /** Pretty-printed JSON with a trailing newline, which keeps {@code head -c N} output tidy in a terminal. */
    private byte[] json() {
        try {
            return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads and validates a header from a file of {@code kind} and format {@code version} (which says whether a
     * motion block or a patch memory block follows).
     *
     * @param file what to call the file in messages
     * @throws ModelFileException with {@link Check#HEADER}, naming the file and the field
     */
    static ModelHeader decode(Path file, byte[] bytes, ModelFileKind kind, int version) throws ModelFileException {
        ModelHeader h;
        try {
            h = JSON.readValue(bytes, ModelHeader.class);
        } catch (IOException e) {
            throw refusal(file, e);
        }
        if (h == null) {
            throw new ModelFileException(file, Check.HEADER, "header is not one JSON object");
        }
        if (h.kind() != kind) {
            throw new ModelFileException(file, Check.HEADER, "header field 'payload_order' is unsupported: '"
                    + h.payloadOrder + "'");
        }
        // version 2 has a motion block; version 3 a memory block, and a motion block when its header says so
        boolean model = kind == ModelFileKind.MODEL;
        boolean memoryBlock = model && version >= 3;
        requireBlock(file, kind, version, "memory", "patch memory", h.memory != null, memoryBlock);
        if (!memoryBlock) {
            requireBlock(file, kind, version, "motion", "motion", h.motion != null, model && version >= 2);
        }
        return h;
    }

    /** A block's header field is present exactly when the file's kind and version have the block. */
    private static void requireBlock(Path file, ModelFileKind kind, int version, String field, String block,
                                     boolean present, boolean expected) throws ModelFileException {
        if (!present && expected) {
            throw new ModelFileException(file, Check.HEADER, "header field '" + field + "' is missing (format "
                    + "version " + version + " has a " + block + " block)");
        }
        if (present && !expected) {
            throw new ModelFileException(file, Check.HEADER, "header field '" + field + "' is present, but "
                    + (kind == ModelFileKind.MODEL ? "format version " + version : "a " + kind.noun())
                    + " has no " + block + " block");
        }
    }

    private static ModelFileException refusal(Path file, IOException e) {
        if (e instanceof ValueInstantiationException v && v.getCause() instanceof IllegalArgumentException c) {
            // a compact constructor's refusal, which names the field
            return new ModelFileException(file, Check.HEADER, c.getMessage(), e);
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            // Jackson's advice on configuring it is for Vigil's developers, not for whoever reads the message
            String problem = m.getOriginalMessage().replaceFirst(" \\((but|disable) .*\\)$", "");
            return new ModelFileException(file, Check.HEADER, "header field '" + path(m.getPath()) + "' "
                    + expected(m) + ": " + problem, e);
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() == ModelHeader.class) {
            return new ModelFileException(file, Check.HEADER, "header is not one JSON object: "
                    + m.getOriginalMessage(), e);
        }
        if (e instanceof JacksonException j) {
            return new ModelFileException(file, Check.HEADER, "header is not valid JSON: " + j.getOriginalMessage(), e);
        }
        return new ModelFileException(file, Check.HEADER, "header is not readable: " + e.getMessage(), e);
    }

    /** {@code threshold.frames}, {@code channel_indices[3]}. */
    private static String path(List<JsonMappingException.Reference> refs) {
        return refs.stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining())
                .replaceFirst("^\\.", "");
    }

    private static String expected(JsonMappingException e) {
        Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        if (type == null) {
            return "is invalid";
        }
        if (type == Integer.class || type == int.class || type == int[].class) {
            return "is not a 32-bit integer";
        }
        if (type == Long.class || type == long.class) {
            return "is not a 64-bit integer";
        }
        if (type == Double.class || type == double.class || type == double[].class) {
            return "is not a number";
        }
        if (type == String.class) {
            return "is not a string";
        }
        if (type.isRecord()) {
            return "is not an object";
        }
        return "is not a " + type.getSimpleName();
    }

    private static ObjectMapper strictMapper() {
        JsonMapper json = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        for (LogicalType t : List.of(LogicalType.Integer, LogicalType.Float)) {
            json.coercionConfigFor(t)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        }
        json.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        json.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return json;
    }

    /** A refusal naming the field; {@link #decode} adds the file. */
    private static IllegalArgumentException invalid(String field, String problem) {
        return new IllegalArgumentException("header field '" + field + "' " + problem);
    }

    private static <T> T required(String field, T value) {
        if (value == null) {
            throw invalid(field, "is missing");
        }
        return value;
    }

    private static void positive(String field, Integer value) {
        if (required(field, value) <= 0) {
            throw invalid(field, "must be positive, is " + value);
        }
    }

    private static void instant(String field, String text) {
        try {
            Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw invalid(field, "is not an ISO-8601 instant: '" + text + "'");
        }
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
