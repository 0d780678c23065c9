package dev.vigil.backbone;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.integrity.FileDigests;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.onnx.OnnxModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns an ONNX classifier into a backbone (docs/backbones.md): the chosen intermediate tensors become the outputs
 * {@code layer1..n}, the graph after them is dropped, the batch (and, where the graph allows, height and width) is made
 * dynamic, and the result is checked with ONNX Runtime on test images against the tensors of the original model,
 * before the model and its manifest (channels and strides measured, sha256 recorded) are written.
 */
public final class BackboneImporter {
    private static final Logger LOG = LoggerFactory.getLogger(BackboneImporter.class);
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};
    public static final double SCALE_0_1 = 1.0 / 255;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** Largest relative difference allowed between the cut model's outputs and the original's tensors. */
    private static final double TOLERANCE = 1e-4;

    private BackboneImporter() {
    }

    /**
     * @param layers   names of tensors of the graph, shallowest first: they become layer1, layer2, ...
     * @param name     the backbone's name, also the file names {@code name.onnx} and {@code name.json}
     * @param channels the channel order the model expects, RGB or BGR
     * @param width    the test images' width, used unless the model's input size is fixed
     * @param out      the folder the model and manifest are written to
     */
    public record Options(Path onnx, List<String> layers, String name, double scale, double[] mean, double[] std,
                          String channels, int width, int height, Path out) {
        public Options {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("name at least one tensor as a layer");
            }
            if (new HashSet<>(layers).size() != layers.size()) {
                throw new IllegalArgumentException("the layers name the same tensor twice: " + layers);
            }
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("backbone name '" + name + "' must be letters, digits, '.', '_'"
                        + " or '-', starting with a letter or digit (it names the files)");
            }
            if (mean.length != 3 || std.length != 3) {
                throw new IllegalArgumentException("mean and std need 3 values each (R,G,B)");
            }
            if (!channels.equals("RGB") && !channels.equals("BGR")) {
                throw new IllegalArgumentException("channels must be RGB or BGR, got " + channels);
            }
        }

        /** ImageNet normalisation, RGB, 224x224 test images. */
        public static Options imagenet(Path onnx, List<String> layers, String name, Path out) {
            return new Options(onnx, layers, name, SCALE_0_1, IMAGENET_MEAN, IMAGENET_STD, "RGB", 224, 224, out);
        }
    }

    /**
     * What was written.
     *
     * @param dynamic       the input dimensions the model accepts at any size
     * @param maxDifference the largest difference between the new outputs and the original model's tensors,
     *                      relative to the tensors' largest magnitude
     */
    public record Result(Path manifest, Path model, String sha256, List<BackboneManifest.Output> outputs,
                         List<String> dynamic, int width, int height, double maxDifference, List<String> warnings) {
    }

    /** The backbone's name from a file name: {@code resnet18-v1-7.onnx} gives {@code resnet18-v1-7}. */
    public static String defaultName(Path onnx) {
        String base = onnx.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        String name = base.replaceAll("[^A-Za-z0-9._-]", "-").replaceFirst("^[^A-Za-z0-9]+", "");
        return name.isEmpty() ? "backbone" : name;
    }

    public static Result run(Options o) throws IOException {
        OnnxModel source = OnnxModel.read(o.onnx());
        List<Object> dims = source.inputDims();
        if (dims.size() == 4 && dims.get(1) instanceof Long c && c != 3) {
            throw new IOException(o.onnx() + ": input '" + source.imageInput().getName() + "' has " + c
                    + " channels; a backbone takes 3-channel images");
        }
        checkLayersExist(source, o);

        long[] probe = TensorSurvey.probeShape(dims, o.width(), o.height());
        int width = (int) probe[3];
        int height = (int) probe[2];
        if (width != o.width() || height != o.height()) {
            LOG.info("{}: the input size is fixed at {}x{}; measuring there", o.onnx().getFileName(), width, height);
        }
        BackboneManifest.Input input = new BackboneManifest.Input(source.imageInput().getName(), "NCHW",
                o.channels(), o.scale(), o.mean(), o.std(), new int[]{width, height}, null);

        // the tensors as the whole model computes them: what the cut model must reproduce
        Map<String, ModelRun.Tensor> reference;
        try (ModelRun run = ModelRun.open(source.exposing(o.layers()))) {
            reference = run.run(testImages(input, (int) probe[0], width, height), probe, o.layers(), true);
        }
        List<String> outputNames = new ArrayList<>();
        List<BackboneManifest.Output> outputs = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < o.layers().size(); i++) {
            String tensor = o.layers().get(i);
            String name = "layer" + (i + 1);
            outputNames.add(name);
            ModelRun.Tensor t = reference.get(tensor);
            if (!t.isFloat() || t.rank() != 4) {
                throw new IOException(o.onnx() + ": tensor '" + tensor + "' has shape " + shapeText(t.shape())
                        + (t.isFloat() ? "" : " and is not float") + ", not a feature map float[N][C][H][W]");
            }
            outputs.add(new BackboneManifest.Output(name, (int) t.shape()[1], stride(o.onnx(), tensor, t, width, height)));
        }
        checkStrideOrder(o, outputs, warnings);

        OnnxModel cut = source.extract(o.layers(), outputNames);
        int maxStride = outputs.stream().mapToInt(BackboneManifest.Output::stride).max().orElse(1);
        Checked checked;
        List<String> dynamic;
        try {
            checked = check(cut.withInputShape("batch", 3L, "height", "width"), input, outputNames, outputs, reference,
                    o.layers(), width, height, maxStride, true);
            dynamic = List.of("batch", "height", "width");
        } catch (IOException spatial) {
            // a Reshape or Flatten with sizes baked in keeps the graph at its export size; the batch may still vary
            LOG.info("{}: height and width stay fixed at {}x{} ({})", o.onnx().getFileName(), width, height,
                    spatial.getMessage());
            try {
                checked = check(cut.withInputShape("batch", 3L, (long) height, (long) width), input, outputNames,
                        outputs, reference, o.layers(), width, height, maxStride, false);
            } catch (IOException batch) {
                throw new IOException(o.onnx() + ": the cut model does not accept a batch of 2 images, and Vigil needs"
                        + " a dynamic batch: " + batch.getMessage(), batch);
            }
            dynamic = List.of("batch");
            warnings.add("height and width are fixed at " + width + "x" + height
                    + " (the graph does not run at another size): use --size " + width + "x" + height);
        }

        Map<String, Object[]> shapes = new LinkedHashMap<>();
        for (BackboneManifest.Output out : outputs) {
            shapes.put(out.name(), dynamic.contains("height")
                    ? new Object[]{"batch", (long) out.channels(), null, null}
                    : new Object[]{"batch", (long) out.channels(), (long) (height / out.stride()), (long) (width / out.stride())});
        }
        Map<String, String> layerMap = new LinkedHashMap<>();
        for (int i = 0; i < outputNames.size(); i++) {
            layerMap.put(outputNames.get(i), o.layers().get(i));
        }
        OnnxModel finished = checked.model().withOutputShapes(shapes).withMetadata(Map.of(
                "vigil.source", o.onnx().getFileName().toString(), "vigil.layers", layerMap.toString()));

        Files.createDirectories(o.out());
        Path modelFile = o.out().resolve(o.name() + ".onnx");
        Path manifest = o.out().resolve(o.name() + ".json");
        String sha256;
        try {
            finished.write(modelFile);
            sha256 = FileDigests.sha256(modelFile);
            writeManifest(manifest, o, input, modelFile, sha256, outputs, dynamic, layerMap);
            verifyWritten(manifest, input, outputs, checked, width, height);
        } catch (IOException | RuntimeException e) {
            // a backbone that failed its last check must not be found by the next command
            Files.deleteIfExists(manifest);
            Files.deleteIfExists(modelFile);
            throw e;
        }
        LOG.info("backbone {}: {} with outputs {}, dynamic {}, largest difference from the original {}",
                o.name(), modelFile, outputs, dynamic, String.format("%.2g", checked.maxDifference()));
        return new Result(manifest, modelFile, sha256, outputs, dynamic, width, height, checked.maxDifference(),
                warnings);
    }

    private static void checkLayersExist(OnnxModel source, Options o) throws IOException {
        Set<String> computed = new HashSet<>();
        source.nodeOutputs().forEach(t -> computed.add(t.name()));
        List<String> missing = o.layers().stream().filter(l -> !computed.contains(l)).toList();
        if (missing.isEmpty()) {
            return;
        }
        String what = missing.size() == 1 ? "no tensor named '" + missing.get(0) + "'"
                : "no tensors named " + missing.stream().map(m -> "'" + m + "'").toList();
        String candidates;
        try {
            TensorSurvey.Result survey = TensorSurvey.run(source, o.width(), o.height());
            candidates = "Its 4-D float tensors, the candidates for --layers (measured on an input of "
                    + shapeText(survey.probeShape()) + "):\n" + survey.featureMapList();
        } catch (IOException e) {
            candidates = "Its node outputs (their shapes could not be measured: " + e.getMessage() + "):\n  "
                    + String.join("\n  ", computed.stream().sorted().toList());
        }
        throw new IOException(o.onnx() + " has " + what + ". " + candidates);
    }

    /** A layer's stride: the input size over its size, which must divide evenly and be the same both ways. */
    private static int stride(Path onnx, String tensor, ModelRun.Tensor t, int width, int height) throws IOException {
        long h = t.shape()[2];
        long w = t.shape()[3];
        if (h <= 0 || w <= 0 || height % h != 0 || width % w != 0 || height / h != width / w) {
            throw new IOException(onnx + ": tensor '" + tensor + "' is " + w + "x" + h + " for a " + width + "x" + height
                    + " input, not a whole stride of it (the same both ways)");
        }
        return (int) (height / h);
    }

    /** Layer 1 sets the patch grid and deeper layers are repeated onto it, so strides must not shrink. */
    private static void checkStrideOrder(Options o, List<BackboneManifest.Output> outputs, List<String> warnings)
            throws IOException {
        for (int i = 1; i < outputs.size(); i++) {
            int before = outputs.get(i - 1).stride();
            int now = outputs.get(i).stride();
            if (now < before) {
                throw new IOException(o.onnx() + ": layer" + (i + 1) + " ('" + o.layers().get(i) + "', stride " + now
                        + ") is finer than layer" + i + " ('" + o.layers().get(i - 1) + "', stride " + before
                        + "): list the layers shallowest first, strides " + strides(outputs));
            }
            if (now == before) {
                warnings.add("layer" + i + " and layer" + (i + 1) + " have the same stride " + now
                        + " (PaDiM's layers usually step 4, 8, 16)");
            }
        }
    }

    private static String strides(List<BackboneManifest.Output> outputs) {
        return outputs.stream().map(out -> String.valueOf(out.stride())).toList().toString();
    }

    /** The cut model with a given input shape, and what it computed on the test images. */
    private record Checked(OnnxModel model, Map<String, ModelRun.Tensor> batchOfTwo, double maxDifference) {
    }

    /**
     * Runs the cut model on two test images, compares the first with the original's tensors, and with
     * {@code spatial} also runs it at a second size and checks that every output keeps its stride.
     */
    private static Checked check(OnnxModel model, BackboneManifest.Input input, List<String> names,
                                 List<BackboneManifest.Output> outputs, Map<String, ModelRun.Tensor> reference,
                                 List<String> tensors, int width, int height, int maxStride, boolean spatial)
            throws IOException {
        try (ModelRun run = ModelRun.open(model)) {
            Map<String, ModelRun.Tensor> two = run.run(testImages(input, 2, width, height),
                    new long[]{2, 3, height, width}, names, true);
            double worst = 0;
            for (int i = 0; i < names.size(); i++) {
                ModelRun.Tensor got = two.get(names.get(i));
                ModelRun.Tensor want = reference.get(tensors.get(i));
                long[] expected = {2, want.shape()[1], want.shape()[2], want.shape()[3]};
                if (!java.util.Arrays.equals(got.shape(), expected)) {
                    throw new IOException(names.get(i) + " is " + shapeText(got.shape()) + " for a batch of 2, expected "
                            + shapeText(expected));
                }
                int perImage = (int) (want.shape()[1] * want.shape()[2] * want.shape()[3]);
                worst = Math.max(worst, relativeDifference(want.values(), got.values(), perImage));
            }
            if (worst > TOLERANCE) {
                throw new IOException("the cut model's outputs differ from the original's tensors by " + worst
                        + " (relative)");
            }
            if (spatial) {
                // another size, of another aspect, still a multiple of every stride
                int w2 = width + 4 * maxStride;
                int h2 = height + 2 * maxStride;
                Map<String, ModelRun.Tensor> other = run.run(testImages(input, 1, w2, h2), new long[]{1, 3, h2, w2},
                        names, false);
                for (int i = 0; i < names.size(); i++) {
                    BackboneManifest.Output out = outputs.get(i);
                    long[] expected = {1, out.channels(), h2 / out.stride(), w2 / out.stride()};
                    if (!java.util.Arrays.equals(other.get(names.get(i)).shape(), expected)) {
                        throw new IOException("at " + w2 + "x" + h2 + ", " + names.get(i) + " is "
                                + shapeText(other.get(names.get(i)).shape()) + ", expected " + shapeText(expected));
                    }
                }
            }
            return new Checked(model, two, worst);
        }
    }

    /** Largest |a - b| over the first {@code count} values, relative to the largest |a|. */
    private static double relativeDifference(float[] reference, float[] batch, int count) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < count; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            diff = Math.max(diff, Math.abs(reference[i] - batch[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /** Normalised frames of the demo's synthetic scene: a real image, as the backbone will see them. */
    static float[] testImages(BackboneManifest.Input input, int count, int width, int height) {
        InputTensor tensor = new InputTensor(input, new Preprocessing(Preprocessing.Mode.RESIZE, width, height));
        SyntheticScene scene = new SyntheticScene(width, height, 7, 0, 0);
        float[] batch = new float[count * 3 * width * height];
        for (int i = 0; i < count; i++) {
            RgbImage frame = scene.frame(i * 37);
            tensor.write(tensor.prepare(frame), batch, i);
        }
        return batch;
    }

    private static void writeManifest(Path manifest, Options o, BackboneManifest.Input input, Path modelFile,
                                      String sha256, List<BackboneManifest.Output> outputs, List<String> dynamic,
                                      Map<String, String> layers) throws IOException {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("name", input.name());
        in.put("layout", "NCHW");
        in.put("channels", input.channels());
        in.put("scale", input.scale());
        in.put("mean", input.mean());
        in.put("std", input.std());
        in.put("recommended_size", input.recommendedSize());
        in.put("dynamic", dynamic);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", o.name());
        json.put("file", modelFile.getFileName().toString());
        json.put("sha256", sha256);
        json.put("source", o.onnx().getFileName().toString());
        json.put("source_sha256", FileDigests.sha256(o.onnx()));
        json.put("layers", layers);
        json.put("imported", Instant.now().toString());
        json.put("input", in);
        List<Map<String, Object>> outs = new ArrayList<>();
        for (BackboneManifest.Output out : outputs) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", out.name());
            entry.put("channels", out.channels());
            entry.put("stride", out.stride());
            outs.add(entry);
        }
        json.put("outputs", outs);
        Path tmp = manifest.resolveSibling(manifest.getFileName() + "." + Long.toHexString(new java.util.Random().nextLong())
                + ".tmp");
        try {
            Files.write(tmp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json),
                    java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.move(tmp, manifest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Loads what was written the way every command will, and checks it computes what was checked. */
    private static void verifyWritten(Path manifest, BackboneManifest.Input input, List<BackboneManifest.Output> outputs,
                                      Checked checked, int width, int height) throws IOException {
        try (OnnxBackbone backbone = OnnxBackbone.load(BackboneManifest.read(manifest), OnnxBackbone.Device.CPU)) {
            OnnxBackbone.Features f = backbone.run(testImages(input, 2, width, height), 2, height, width);
            for (int i = 0; i < outputs.size(); i++) {
                BackboneManifest.Output out = outputs.get(i);
                int[] shape = f.shapes().get(i);
                if (shape[1] != out.channels() || shape[2] != height / out.stride() || shape[3] != width / out.stride()) {
                    throw new IOException(manifest + ": the written model's " + out.name() + " is "
                            + java.util.Arrays.toString(shape) + ", not what the manifest says");
                }
                float[] want = checked.batchOfTwo().get(out.name()).values();
                double diff = relativeDifference(want, f.layers().get(i), want.length);
                if (diff > TOLERANCE) {
                    throw new IOException(manifest + ": the written model's " + out.name() + " differs from the checked"
                            + " one by " + diff);
                }
            }
        }
    }

    static String shapeText(long[] shape) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? "," : "").append(shape[i]);
        }
        return s.append(']').toString();
    }
}
