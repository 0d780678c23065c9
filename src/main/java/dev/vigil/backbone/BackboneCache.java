package dev.vigil.backbone;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where {@code vigil backbone fetch} keeps backbones: {@code ${VIGIL_CACHE:-~/.cache/vigil}/backbones}, one folder per
 * backbone ({@code NAME/NAME.json} beside {@code NAME/NAME.onnx}), and the downloaded classifiers in
 * {@code downloads/}, so that a backbone can be cut again with other layers without downloading it again.
 *
 * @param root the {@code backbones} folder
 */
public record BackboneCache(Path root) {
    public static final String ENV = "VIGIL_CACHE";

    /** The cache under {@code $VIGIL_CACHE}, else under {@code ~/.cache/vigil}. */
    public static BackboneCache fromEnvironment(Map<String, String> env) {
        String dir = env.get(ENV);
        return under(dir != null && !dir.isBlank() ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".cache", "vigil"));
    }

    /** The cache in Vigil's cache folder {@code dir}: backbones go to {@code dir/backbones}. */
    public static BackboneCache under(Path dir) {
        return new BackboneCache(dir.resolve("backbones"));
    }

    public Path folder(String name) {
        return root.resolve(name);
    }

    public Path downloads() {
        return root.resolve("downloads");
    }

    /** The manifests of the cached backbones ({@code NAME/NAME.json}), by name. */
    public List<Path> manifests() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                Path manifest = dir.resolve(dir.getFileName() + ".json");
                if (Files.isRegularFile(manifest)) {
                    out.add(manifest);
                }
            }
        }
        return out;
    }
}
