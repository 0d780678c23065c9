package dev.vigil.backbone;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A backbone's JSON manifest (see docs/backbones.md): the ONNX file beside it, its input tensor and the feature-map
 * outputs PaDiM reads, in order layer 1, 2, 3 (layer 1 sets the patch grid).
 *
 * @param directory the folder holding the manifest, against which {@code file} resolves
 */
public record BackboneManifest(String name, String file, String sha256, Input input, List<Output> outputs,
                               Path directory) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Input(String name, String layout, String channels, double scale, double[] mean, double[] std,
                        @JsonProperty("recommended_size") int[] recommendedSize, List<String> dynamic) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String name, int channels, int stride) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Json(String name, String file, String sha256, Input input, List<Output> outputs) {
    }

    public Path modelPath() {
        return directory.resolve(file);
    }

    public int totalChannels() {
        return outputs.stream().mapToInt(Output::channels).sum();
    }

    /** Largest output stride: input sizes must be multiples of it. */
    public int maxStride() {
        return outputs.stream().mapToInt(Output::stride).max().orElse(1);
    }

    public static BackboneManifest read(Path manifest) throws IOException {
        if (!Files.isRegularFile(manifest)) {
            throw new IOException("backbone manifest " + manifest + " does not exist");
        }
        Json json;
        try {
            json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                    .readValue(manifest.toFile(), Json.class);
        } catch (IOException e) {
            throw new IOException("backbone manifest " + manifest + " is not valid JSON: " + e.getMessage(), e);
        }
        BackboneManifest m = new BackboneManifest(json.name(), json.file(), json.sha256(), json.input(),
                json.outputs(), manifest.toAbsolutePath().getParent());
        m.validate(manifest);
        return m;
    }

    private void validate(Path manifest) throws IOException {
        StringBuilder problems = new StringBuilder();
        if (name == null || name.isBlank()) problems.append("; 'name' is missing");
        if (file == null || file.isBlank()) problems.append("; 'file' is missing");
        if (input == null) {
            problems.append("; 'input' is missing");
        } else {
            if (input.name() == null) problems.append("; 'input.name' is missing");
            if (input.mean() == null || input.mean().length != 3) problems.append("; 'input.mean' needs 3 values");
            if (input.std() == null || input.std().length != 3) problems.append("; 'input.std' needs 3 values");
            if (input.scale() <= 0) problems.append("; 'input.scale' must be positive");
            if (input.layout() != null && !input.layout().equals("NCHW")) problems.append("; only NCHW input is supported");
            if (input.channels() != null && !input.channels().equals("RGB") && !input.channels().equals("BGR")) {
                problems.append("; 'input.channels' must be RGB or BGR");
            }
        }
        if (outputs == null || outputs.isEmpty()) {
            problems.append("; 'outputs' must list the feature maps, layer 1 first");
        } else {
            for (Output o : outputs) {
                if (o.name() == null || o.channels() <= 0 || o.stride() <= 0) {
                    problems.append("; output ").append(o.name()).append(" needs a name, channels > 0 and stride > 0");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException("backbone manifest " + manifest + " is invalid: " + problems.substring(2));
        }
    }
}
