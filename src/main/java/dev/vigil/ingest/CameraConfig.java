package dev.vigil.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vigil.media.FrameCodec;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.secrets.Redaction;
import dev.vigil.untrusted.CameraId;
import dev.vigil.untrusted.LogText;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The camera list for live ingest, {@code config/cameras.yaml} (docs/configuration.md):
 *
 * <pre>{@code
 * defaults:               # optional
 *   fps: 5
 *   frame_codec: jpeg:90
 * cameras:
 *   - id: gate-1          # required, unique
 *     source: rtsp://***@10.0.0.12/stream1   # required: a URL or a file path
 *     fps: 2              # optional: defaults.fps, else 5
 *     frame_codec: png    # optional: defaults.frame_codec, else jpeg:90
 *     enabled: false      # optional: true
 *     threshold_rule: p99.9   # optional: defaults.threshold_rule, else p99+1*(p99-p50)
 * }</pre>
 *
 * <p>The file is checked whole before anything is ingested. A bad one is refused with a {@link CameraConfigException}
 * naming the file, the camera ({@code cameras[i]} and its id when it has one) and the field at fault: an unknown
 * field (a misspelt {@code fps} would otherwise be silently ignored), a missing, malformed or duplicate id, a missing
 * or unsupported source, a bad fps or frame codec. Whether a file source exists is left to the run that reads it
 * (relative paths are resolved against its working directory, as {@code --source} is).
 */
public final class CameraConfig {
    /** Read by {@code vigil ingest} when no camera is given on the command line. */
    public static final Path DEFAULT_FILE = Path.of("config", "cameras.yaml");
    public static final double DEFAULT_FPS = 5;
    public static final FrameCodec DEFAULT_CODEC = FrameCodec.DEFAULT;

    private static final Pattern URL = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)");
    /** Network protocols FFmpeg reads a camera over; anything else with {@code ://} is most likely a typo. */
    private static final List<String> SCHEMES = List.of("rtsp", "rtsps", "http", "https", "udp", "rtp", "tcp", "srt",
            "rtmp", "rtmps");
    /** Sources that may name no host: listening on a local port. */
    private static final Set<String> LISTENING_SCHEMES = Set.of("udp", "rtp", "srt", "tcp");

    private static final List<String> TOP_LEVEL = List.of("cameras", "defaults");
    private static final List<String> DEFAULTS_FIELDS = List.of("fps", "frame_codec", "threshold_rule");
    private static final List<String> CAMERA_FIELDS = List.of("id", "source", "fps", "frame_codec", "enabled",
            "threshold_rule");

    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private CameraConfig() {
    }

    /**
     * The enabled cameras of a camera file, in file order, with the back-off of {@link CameraIngest#INITIAL_BACKOFF}
     * and {@link CameraIngest#MAX_BACKOFF}.
     *
     * @throws CameraConfigException naming the file, the camera and the field when the file is unreadable, not
     *                               YAML, or not a valid camera list; also when it enables no camera
     */
    public static List<CameraIngest.Settings> load(Path file) throws CameraConfigException {
        Parsed parsed = parse(file);
        if (parsed.enabled().isEmpty()) {
            throw new CameraConfigException(file, "enables no camera (all " + parsed.rules().size()
                    + " have enabled: false)");
        }
        return parsed.enabled();
    }

    /**
     * The threshold rule of every camera of a camera file, enabled or not (its own {@code threshold_rule}, else the
     * defaults', else {@link ThresholdRule#DEFAULT}): what {@code learn} and {@code model calibrate} apply.
     *
     * @throws CameraConfigException as {@link #load} does
     */
    public static Map<String, ThresholdRule> thresholdRules(Path file) throws CameraConfigException {
        return parse(file).rules();
    }

    private record Parsed(List<CameraIngest.Settings> enabled, Map<String, ThresholdRule> rules) {
    }

    private static Parsed parse(Path file) throws CameraConfigException {
        JsonNode root;
        try (Reader reader = Files.newBufferedReader(file)) {
            root = YAML.readTree(reader);
        } catch (NoSuchFileException e) {
            throw new CameraConfigException(file, "does not exist");
        } catch (JsonProcessingException e) {
            // the parser's own message quotes the offending line, which may be a source with its password
            throw new CameraConfigException(file, "is not valid YAML: " + Redaction.syntaxError(e));
        } catch (IOException e) {
            throw new CameraConfigException(file, "cannot be read: " + Redaction.text(e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new CameraConfigException(file, "is empty: it needs a top-level 'cameras:' list");
        }
        if (!root.isObject()) {
            throw new CameraConfigException(file, "must hold a mapping with a 'cameras:' list at the top level, not "
                    + kind(root));
        }
        unknownFields(file, root, TOP_LEVEL, "top level");

        double defaultFps = DEFAULT_FPS;
        FrameCodec defaultCodec = DEFAULT_CODEC;
        ThresholdRule defaultRule = ThresholdRule.DEFAULT;
        JsonNode defaults = root.get("defaults");
        if (defaults != null) {
            if (!defaults.isObject()) {
                throw new CameraConfigException(file, "defaults", "must be a mapping of " + String.join(", ",
                        DEFAULTS_FIELDS) + ", not " + kind(defaults));
            }
            unknownFields(file, defaults, DEFAULTS_FIELDS, "defaults");
            defaultFps = fps(file, "defaults", defaults.get("fps"), defaultFps);
            defaultCodec = codec(file, "defaults", defaults.get("frame_codec"), defaultCodec);
            defaultRule = rule(file, "defaults", defaults.get("threshold_rule"), defaultRule);
        }

        JsonNode cameras = root.get("cameras");
        if (cameras == null) {
            throw new CameraConfigException(file, "has no 'cameras:' list");
        }
        if (!cameras.isArray()) {
            throw new CameraConfigException(file, "cameras", "must be a list ('- id: ...' entries), not "
                    + kind(cameras));
        }
        if (cameras.isEmpty()) {
            throw new CameraConfigException(file, "lists no camera");
        }

        Map<String, Integer> seen = new HashMap<>();
        List<CameraIngest.Settings> enabled = new ArrayList<>();
        Map<String, ThresholdRule> rules = new java.util.LinkedHashMap<>();
        for (int i = 0; i < cameras.size(); i++) {
            JsonNode camera = cameras.get(i);
            String where = "cameras[" + i + "]";
            if (!camera.isObject()) {
                throw new CameraConfigException(file, where, "must be a mapping with at least id and source, not "
                        + kind(camera));
            }
            String id = id(file, where, camera.get("id"));
            where += " (id " + id + ")";
            Integer first = seen.putIfAbsent(id, i);
            if (first != null) {
                throw new CameraConfigException(file, where, "id '" + id + "' is already used by cameras["
                        + first + "]");
            }
            unknownFields(file, camera, CAMERA_FIELDS, where);
            String source = source(file, where, camera.get("source"));
            double fps = fps(file, where, camera.get("fps"), defaultFps);
            FrameCodec codec = codec(file, where, camera.get("frame_codec"), defaultCodec);
            rules.put(id, rule(file, where, camera.get("threshold_rule"), defaultRule));
            if (enabled(file, where, camera.get("enabled"))) {
                enabled.add(new CameraIngest.Settings(id, source, fps, codec, CameraIngest.INITIAL_BACKOFF,
                        CameraIngest.MAX_BACKOFF));
            }
        }
        return new Parsed(List.copyOf(enabled), rules);
    }

    private static ThresholdRule rule(Path file, String where, JsonNode node, ThresholdRule fallback)
            throws CameraConfigException {
        if (node == null) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw new CameraConfigException(file, where, "threshold_rule must be text such as p99+1*(p99-p50) or "
                    + "quantile:0.999, got " + kind(node) + (node.isNull() ? "" : " " + shown(node)));
        }
        try {
            return ThresholdRule.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            throw new CameraConfigException(file, where, e.getMessage());
        }
    }

    /** The rule of every frames-per-second setting, {@code --fps} included: 0 (every frame) or more. */
    public static boolean validFps(double fps) {
        return Double.isFinite(fps) && fps >= 0;
    }

    private static void unknownFields(Path file, JsonNode node, List<String> known, String where)
            throws CameraConfigException {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new CameraConfigException(file, where, "unknown field '" + name + "' (known: "
                        + String.join(", ", known) + ")");
            }
        }
    }

    private static String id(Path file, String where, JsonNode node) throws CameraConfigException {
        if (node == null || node.isNull()) {
            throw new CameraConfigException(file, where, "id is missing");
        }
        if (!node.isTextual()) {
            // YAML reads 007 as the number 7: refuse rather than guess
            throw new CameraConfigException(file, where, "id must be text, got " + kind(node) + " " + node
                    + " (quote it: id: \"" + node.asText() + "\")");
        }
        String id = node.textValue();
        if (!CameraId.isValid(id)) {
            throw new CameraConfigException(file, where, "id " + LogText.quote(id) + " must be " + CameraId.RULE);
        }
        return id;
    }

    private static String source(Path file, String where, JsonNode node) throws CameraConfigException {
        if (node == null || node.isNull()) {
            throw new CameraConfigException(file, where, "source is missing (a URL such as rtsp://host/stream, "
                    + "or a video file)");
        }
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw new CameraConfigException(file, where, "source must be a URL or a file path, got "
                    + kind(node));
        }
        String source = node.textValue().trim();
        Matcher url = URL.matcher(source);
        if (url.matches()) {
            String scheme = url.group(1).toLowerCase(Locale.ROOT);
            // messages show the source redacted: they end up in logs and terminals
            String shown = SourceRedaction.redact(source);
            if (!SCHEMES.contains(scheme)) {
                throw new CameraConfigException(file, where, "source " + shown + " has an unsupported scheme '"
                        + url.group(1) + "' (" + String.join(", ", SCHEMES) + ", or a file path)");
            }
            String authority = url.group(2).split("[/?#]", 2)[0];
            String host = authority.substring(authority.lastIndexOf('@') + 1);
            if (host.isEmpty() && !LISTENING_SCHEMES.contains(scheme)) {
                throw new CameraConfigException(file, where, "source " + shown + " names no host");
            }
            return source;
        }
        try {
            // whether the file exists is for the ingest run to say: this checks the file's form
            Path.of(source);
        } catch (InvalidPathException e) {
            throw new CameraConfigException(file, where, "source " + SourceRedaction.redact(source)
                    + " is neither a URL nor a file path: " + e.getReason());
        }
        return source;
    }

    private static double fps(Path file, String where, JsonNode node, double fallback) throws CameraConfigException {
        if (node == null) {
            return fallback;
        }
        if (!node.isNumber() || !validFps(node.doubleValue())) {
            throw new CameraConfigException(file, where, "fps must be a number of frames per second >= 0 "
                    + "(0: every frame), got " + kind(node) + (node.isNull() ? "" : " " + shown(node)));
        }
        return node.doubleValue();
    }

    private static FrameCodec codec(Path file, String where, JsonNode node, FrameCodec fallback)
            throws CameraConfigException {
        if (node == null) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw new CameraConfigException(file, where, "frame_codec must be jpeg:Q (Q in 1..100) or png, got "
                    + kind(node) + (node.isNull() ? "" : " " + shown(node)));
        }
        try {
            return FrameCodec.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            throw new CameraConfigException(file, where, "frame_codec: " + e.getMessage());
        }
    }

    private static boolean enabled(Path file, String where, JsonNode node) throws CameraConfigException {
        if (node == null) {
            return true;
        }
        if (!node.isBoolean()) {
            throw new CameraConfigException(file, where, "enabled must be true or false, got " + kind(node)
                    + (node.isNull() ? "" : " " + shown(node)));
        }
        return node.booleanValue();
    }

    /** A value as a message shows it: a value in the wrong field may still be a URL with its password. */
    private static String shown(JsonNode node) {
        return Redaction.text(node.toString());
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "a mapping";
            case STRING -> "text";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "nothing (an empty value)";
            default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }
}
