package dev.vigil.padim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.padim.ModelFileException.Check;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The header is untrusted input: each malformed field is refused with {@link Check#HEADER}, naming the file and the
 * field, and sizes that could not be loaded are refused before anything is allocated for them.
 */
class ModelHeaderTest {
    private static final Path FILE = Path.of("/models/gate.vgm");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] CHANNELS = {1, 6, 27, 100, 300, 447, 2};

    private static ModelInfo info() {
        return new ModelInfo(
                new ModelInfo.Backbone("resnet18", "ab".repeat(32), new int[]{64, 128, 256}, "resize-crop", 16, 12),
                new ModelInfo.Embedding(4, 3, CHANNELS, 99), new ModelInfo.Fit(0.01, 40),
                ThresholdStats.fromNormalScores(new double[]{1, 2, 3}), null,
                new ModelInfo.Origin(Instant.parse("2026-01-05T06:00:00Z"), "gate",
                        new Provenance("learn", "gate", List.of("vigil.frames partition 3"), 43, null, null, "png", 0,
                                0)));
    }

    private static byte[] valid() {
        return ModelHeader.encode(FILE, info(), 12, CHANNELS.length, ModelFileKind.MODEL, 1);
    }

    private static byte[] edited(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(valid());
        edit.accept(root);
        return JSON.writeValueAsBytes(root);
    }

    private static String refused(byte[] header) {
        ModelFileException e = catchThrowableOfType(ModelFileException.class,
                () -> ModelHeader.decode(FILE, header, ModelFileKind.MODEL, 1));
        assertThat(e).as(new String(header, StandardCharsets.UTF_8)).isNotNull();
        assertThat(e.check()).isEqualTo(Check.HEADER);
        assertThat(e.file()).isEqualTo(FILE);
        assertThat(e.getMessage()).startsWith("model file " + FILE + " header");
        return e.getMessage();
    }

    private static String refused(String header) {
        return refused(header.getBytes(StandardCharsets.UTF_8));
    }

    private static String refused(Consumer<ObjectNode> edit) throws IOException {
        return refused(edited(edit));
    }

    @Test
    void aHeaderReadsBackAsTheDescriptionItWasWrittenFrom() throws IOException {
        ModelInfo back = ModelHeader.decode(FILE, valid(), ModelFileKind.MODEL, 1).info();
        assertThat(back).usingRecursiveComparison().withEqualsForType(Double::equals, Double.class).isEqualTo(info());
        // unknown fields are ignored, so that this version reads files that carry more
        assertThat(ModelHeader.decode(FILE, edited(h -> h.put("added_later", 5)), ModelFileKind.MODEL, 1).info()
                .label()).isEqualTo("gate");
    }

    @Test
    void aMissingFieldIsNamed() throws IOException {
        assertThat(refused(h -> h.remove("grid_width"))).contains("header field 'grid_width' is missing");
        assertThat(refused(h -> h.putNull("backbone_sha256"))).contains("header field 'backbone_sha256' is missing");
        assertThat(refused(h -> ((ObjectNode) h.get("threshold")).remove("p50")))
                .contains("header field 'threshold.p50' is missing");
        assertThat(refused(h -> ((ObjectNode) h.get("provenance")).remove("kind")))
                .contains("header field 'provenance.kind' is missing");
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedNotCoerced() throws IOException {
        assertThat(refused(h -> h.put("input_width", "16")))
                .contains("header field 'input_width' is not a 32-bit integer").doesNotContain("CoercionConfig");
        assertThat(refused(h -> h.put("input_width", 16.5)))
                .contains("header field 'input_width' is not a 32-bit integer");
        assertThat(refused(h -> h.put("input_width", 1L << 32))).contains("'input_width'");
        assertThat(refused(h -> h.put("seed", new java.math.BigInteger("2").pow(70))))
                .contains("header field 'seed'");
        assertThat(refused(h -> h.put("backbone_name", 18))).contains("header field 'backbone_name' is not a string");
        assertThat(refused(h -> h.put("eps", "small"))).contains("header field 'eps' is not a number");
        assertThat(refused(h -> h.putArray("channel_indices").add(1).addNull()))
                .contains("header field 'channel_indices[1]'");
        assertThat(refused(h -> h.put("threshold", "p99"))).contains("header field 'threshold' is not an object");
        assertThat(refused(h -> h.put("created", "yesterday")))
                .contains("header field 'created' is not an ISO-8601 instant: 'yesterday'");
        // non-finite doubles are written as these strings, so they read
        assertThat(ModelHeader.decode(FILE, edited(h -> ((ObjectNode) h.get("threshold")).put("mean", "-Infinity")),
                ModelFileKind.MODEL, 1).info().threshold().mean()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void somethingOtherThanOneJsonObjectIsRefused() throws IOException {
        assertThat(refused("[1, 2]")).contains("header is not one JSON object");
        assertThat(refused("null")).contains("header is not one JSON object");
        assertThat(refused("{\"backbone_name\" : ")).contains("header is not valid JSON");
        assertThat(refused(new String(valid(), StandardCharsets.UTF_8) + "{}"))
                .contains("header is not one JSON object", "Trailing token");
        // two values for one field: which one a reader takes is not for a damaged file to decide
        String twice = new String(valid(), StandardCharsets.UTF_8).replace("\"features\" : 7",
                "\"features\" : 7, \"features\" : 8");
        assertThat(refused(twice)).contains("header is not valid JSON", "features");
    }

    @Test
    void absurdSizesAreRefusedBeforeAnythingIsAllocatedForThem() throws IOException {
        // 2^30 positions of 7 features: more values than one array holds
        assertThat(refused(h -> h.put("grid_width", 1 << 15).put("grid_height", 1 << 15).put("positions", 1 << 30)
                .put("payload_bytes", ModelFile.payloadBytes(1 << 30, 7))))
                .contains("header field 'features' (7 at 1073741824 positions) is too large to load");
        assertThat(refused(h -> h.put("features", 1 << 30)))
                .contains("header field 'features' (1073741824) is inconsistent with channel_indices (7 values)");
        assertThat(refused(h -> h.put("positions", 1 << 30)))
                .contains("header field 'positions' (1073741824) is inconsistent with grid_width x grid_height");
        // a grid whose product overflows an int is not mistaken for a small one
        assertThat(refused(h -> h.put("grid_width", 1 << 16).put("grid_height", 1 << 16).put("positions", 0)))
                .contains("header field 'positions' must be positive");
        assertThat(refused(h -> h.put("grid_width", 1 << 16).put("grid_height", (1 << 16) + 1)
                .put("positions", 1 << 16)))
                .contains("header field 'positions' (65536) is inconsistent with grid_width x grid_height");
        assertThat(refused(h -> h.put("payload_bytes", Long.MAX_VALUE)))
                .contains("header field 'payload_bytes' (" + Long.MAX_VALUE + ") is inconsistent");
        assertThat(refused(h -> h.put("grid_width", -4))).contains("header field 'grid_width' must be positive, is -4");
        assertThat(refused(h -> h.putArray("channel_indices").add(1).add(1 << 30).add(2).add(3).add(4).add(5).add(6)))
                .contains("header field 'channel_indices' holds 1073741824, outside the 448 channels");
        assertThat(refused(h -> h.putArray("layer_channels").add(64).add(-128).add(1 << 30)))
                .contains("header field 'layer_channels' holds -128");
    }

    @Test
    void theHeaderMustFitTheFileAroundIt() throws IOException {
        assertThat(catchThrowableOfType(ModelFileException.class,
                () -> ModelHeader.decode(FILE, valid(), ModelFileKind.PARTIAL_FIT, 1)).getMessage())
                .contains("header field 'payload_order' is unsupported");
        assertThat(catchThrowableOfType(ModelFileException.class,
                () -> ModelHeader.decode(FILE, valid(), ModelFileKind.MODEL, 2)).getMessage())
                .contains("header field 'motion' is missing (format version 2 has a motion block)");
        assertThat(refused(h -> h.put("payload_order", "mean f16le"))).contains("'payload_order' is unsupported");
        assertThat(refused(h -> h.put("frame_score", "top:2"))).contains("'frame_score' is not a frame score");
        assertThat(refused(h -> h.putObject("motion").put("weight", 0.0).put("appearance_scale", 1.0)
                .put("motion_scale", 1.0).put("training_pairs", 10).put("payload_bytes", 1)
                .put("payload_order", ModelFile.PAYLOAD_ORDER)))
                .contains("header field 'motion' is not a usable blend");
        // an untrusted radius is bounded before the scorer builds its bands from it
        assertThat(refused(h -> h.putObject("memory").put("radius", 100_000).put("gate_quantile", 0.98)
                .put("gate", 1.0).put("appearance_scale", 1.0).put("memory_scale", 1.0).put("patches_per_row", 2)
                .put("payload_bytes", 1).put("payload_order", "patches f32le [grid_height][patches_per_row][d]")))
                .contains("header field 'memory' is not a usable memory blend", "from 0 to 64, got 100000");
    }
}
