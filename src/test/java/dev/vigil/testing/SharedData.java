package dev.vigil.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The read-only material in {@code ../shared} (backbones, datasets, test vectors), found through the system
 * property {@code vigil.shared} that the build sets, or the environment variable {@code VIGIL_SHARED}.
 */
public final class SharedData {
    private SharedData() {
    }

    public static Path root() {
        String dir = System.getProperty("vigil.shared", System.getenv().getOrDefault("VIGIL_SHARED", "../shared"));
        Path path = Path.of(dir).toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("shared data not found at " + path
                    + " (set -Dvigil.shared=... or VIGIL_SHARED)");
        }
        return path;
    }

    public static Path backbone(String name) {
        return root().resolve("backbones").resolve(name + ".json");
    }

    public static Path dataset(String name) {
        return root().resolve("datasets").resolve(name);
    }

    public static JsonNode testVector(String name) {
        try {
            return new ObjectMapper().readTree(root().resolve("testvectors").resolve(name + ".json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON array of numbers, nested to any depth, flattened row-major. */
    public static double[] flat(JsonNode node) {
        java.util.List<Double> values = new java.util.ArrayList<>();
        collect(node, values);
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public static float[] flatFloats(JsonNode node) {
        double[] d = flat(node);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static void collect(JsonNode node, java.util.List<Double> out) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, out));
        } else {
            out.add(node.asDouble());
        }
    }
}
