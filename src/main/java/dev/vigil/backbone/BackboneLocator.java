package dev.vigil.backbone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vigil.secrets.Redaction;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds the backbone every command runs with, in this order: {@code --backbone}, then {@code $VIGIL_BACKBONE}, then
 * {@code backbone:} in {@code config/vigil.yaml}, then the cache ({@link BackboneCache}). Each names a manifest, the
 * folder holding one, or an ONNX file with its manifest beside it. When none gives a backbone, the error says how to
 * get one.
 */
public final class BackboneLocator {
    public static final String ENV = "VIGIL_BACKBONE";
    /** The settings file read from the working directory, like config/cameras.yaml. */
    public static final Path CONFIG = Path.of("config", "vigil.yaml");
    /** The cached backbone used when the cache holds several. */
    public static final String DEFAULT_NAME = "mobilenetv2";

    private final Map<String, String> env;
    private final Path config;
    private final BackboneCache cache;

    /** A manifest, and where its name came from (for the log and for messages). */
    public record Located(Path manifest, String from) {
    }

    public BackboneLocator(Map<String, String> env, Path config, BackboneCache cache) {
        this.env = env;
        this.config = config;
        this.cache = cache;
    }

    /** As a command sees it: the process environment, config/vigil.yaml in the working directory, the user's cache. */
    public static BackboneLocator standard() {
        return new BackboneLocator(System.getenv(), CONFIG, BackboneCache.fromEnvironment(System.getenv()));
    }

    /**
     * @param flag the command's {@code --backbone}, or null
     */
    public Located locate(Path flag) throws IOException {
        if (flag != null) {
            return new Located(manifestAt(flag, "--backbone"), "--backbone");
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new Located(manifestAt(Path.of(fromEnv), ENV), ENV);
        }
        Path configured = configured();
        if (configured != null) {
            return new Located(manifestAt(configured, config + " ('backbone')"), config.toString());
        }
        List<Path> cached = cache.manifests();
        if (cached.size() == 1) {
            return new Located(cached.get(0), "the cache");
        }
        for (Path manifest : cached) {
            if (manifest.getParent().getFileName().toString().equals(DEFAULT_NAME)) {
                return new Located(manifest, "the cache");
            }
        }
        if (!cached.isEmpty()) {
            throw new IOException("the cache " + cache.root() + " holds several backbones ("
                    + cached.stream().map(m -> m.getParent().getFileName().toString()).toList()
                    + ") and none is named " + DEFAULT_NAME + ": choose one with --backbone, " + ENV + " or 'backbone:' in "
                    + config);
        }
        throw new IOException(notFound());
    }

    private String notFound() {
        StringBuilder s = new StringBuilder("no backbone: --backbone is not given, " + ENV + " is not set, ")
                .append(Files.isRegularFile(config) ? config + " names none" : "there is no " + config)
                .append(", and the cache ").append(cache.root()).append(" is empty. Get one:\n")
                .append("  vigil backbone fetch ").append(DEFAULT_NAME)
                .append("     downloads MobileNetV2 (ImageNet) from the ONNX model zoo into the cache\n")
                .append("  vigil backbone import --onnx FILE.onnx --layers T1,T2,T3 --out DIR\n")
                .append("      makes one of an ONNX CNN you have (vigil backbone inspect FILE.onnx lists its tensors)\n")
                .append("or point ").append(ENV).append(" at a manifest: export ").append(ENV).append("=/path/to/backbone.json");
        Path shared = Path.of("..", "shared", "backbones");
        if (Files.isDirectory(shared)) {
            try (Stream<Path> files = Files.list(shared)) {
                files.filter(p -> p.toString().endsWith(".json")).sorted().findFirst().ifPresent(p -> s
                        .append("\n(").append(shared).append(" has ").append(p.getFileName()).append(": export ")
                        .append(ENV).append("=").append(p.toAbsolutePath().normalize()).append(")"));
            } catch (IOException e) {
                // only a hint
            }
        }
        return s.toString();
    }

    /** {@code backbone:} of the settings file, or null when the file or the setting is absent. */
    private Path configured() throws IOException {
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // not chained: the parser's message quotes the offending line, which may hold a URL with its password
            throw new IOException("settings file " + config + " is not valid YAML: " + Redaction.syntaxError(e));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return null;
        }
        if (!root.isObject()) {
            throw new IOException("settings file " + config + " must be a mapping of settings (backbone: ...)");
        }
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!key.equals("backbone")) {
                throw new IOException("settings file " + config + ": unknown setting '" + key + "' (known: backbone)");
            }
        }
        JsonNode backbone = root.get("backbone");
        if (backbone == null || backbone.isNull()) {
            return null;
        }
        if (!backbone.isTextual() || backbone.asText().isBlank()) {
            throw new IOException("settings file " + config + ": 'backbone' must be the path of a manifest, got "
                    + Redaction.text(backbone.toString()));
        }
        return Path.of(backbone.asText());
    }

    /**
     * The manifest a path stands for: a {@code .json} manifest itself, the one manifest in a folder, or the manifest
     * beside an {@code .onnx} file that names it.
     *
     * @param what where the path came from, for messages
     */
    public static Path manifestAt(Path path, String what) throws IOException {
        if (!Files.exists(path)) {
            throw new IOException(what + " names " + path + ", which does not exist");
        }
        if (Files.isDirectory(path)) {
            List<Path> manifests = manifestsIn(path);
            if (manifests.size() == 1) {
                return manifests.get(0);
            }
            throw new IOException(what + " names the folder " + path + ", which holds "
                    + (manifests.isEmpty() ? "no backbone manifest (*.json)"
                    : "several manifests " + manifests.stream().map(Path::getFileName).toList() + ": name one"));
        }
        String file = path.getFileName().toString();
        if (file.toLowerCase().endsWith(".onnx")) {
            Path sibling = path.resolveSibling(file.substring(0, file.length() - 5) + ".json");
            if (Files.isRegularFile(sibling)) {
                return sibling;
            }
            Path dir = path.toAbsolutePath().getParent();
            for (Path manifest : manifestsIn(dir)) {
                try {
                    if (file.equals(BackboneManifest.read(manifest).file())) {
                        return manifest;
                    }
                } catch (IOException e) {
                    // another JSON file: not this model's manifest
                }
            }
            throw new IOException(what + " names " + path + ", an ONNX file with no manifest beside it: make it a"
                    + " backbone with vigil backbone import --onnx " + path + " --layers T1,T2,T3 --out DIR");
        }
        return path;
    }

    private static List<Path> manifestsIn(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p)).sorted()
                    .forEach(out::add);
        }
        return out;
    }
}
