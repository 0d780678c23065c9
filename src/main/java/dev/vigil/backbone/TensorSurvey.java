package dev.vigil.backbone;

import dev.vigil.onnx.OnnxModel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The tensors of an ONNX graph with their shapes, measured: every node output is made a graph output and the model is
 * run once on a blank image. (Java has no ONNX shape inference, and exported models rarely record intermediate
 * shapes.) The 4-D float ones are the candidate feature maps for {@code vigil backbone import --layers}.
 */
public final class TensorSurvey {
    private TensorSurvey() {
    }

    /** A tensor computed by a node, with the shape it had in the survey's run. */
    public record Tensor(String name, String opType, long[] shape, boolean isFloat) {
        public boolean isFeatureMap() {
            return isFloat && shape.length == 4;
        }

        public String shapeText() {
            return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
        }
    }

    /**
     * @param inputDims  the image input's declared dimensions (Long fixed, String symbolic)
     * @param probeShape the input shape the survey ran with
     */
    public record Result(String file, String input, List<Object> inputDims, long[] probeShape, List<Tensor> tensors) {
        public List<Tensor> featureMaps() {
            return tensors.stream().filter(Tensor::isFeatureMap).toList();
        }

        /** The tensor's stride against the input (input height / its height), or 0 when it does not divide. */
        public int stride(Tensor t) {
            if (!t.isFeatureMap() || t.shape()[2] <= 0 || probeShape[2] % t.shape()[2] != 0
                    || probeShape[3] % t.shape()[3] != 0 || probeShape[2] / t.shape()[2] != probeShape[3] / t.shape()[3]) {
                return 0;
            }
            return (int) (probeShape[2] / t.shape()[2]);
        }

        /** The feature maps as lines {@code name [1,64,56,56] stride 4}, for messages. */
        public String featureMapList() {
            return featureMaps().stream().map(t -> "  " + t.name() + " " + t.shapeText()
                    + (stride(t) > 0 ? " stride " + stride(t) : "")).collect(Collectors.joining("\n"));
        }
    }

    /**
     * Runs the survey. Fixed input dimensions are kept; symbolic ones get batch 1 and the given size.
     */
    public static Result run(OnnxModel model, int width, int height) throws IOException {
        List<Object> dims = model.inputDims();
        long[] probe = probeShape(dims, width, height);
        List<OnnxModel.NodeOutput> outputs = model.nodeOutputs();
        List<String> names = outputs.stream().map(OnnxModel.NodeOutput::name).toList();
        Map<String, ModelRun.Tensor> shapes;
        try (ModelRun run = ModelRun.open(model.exposing(names))) {
            shapes = run.run(new float[Math.toIntExact(Arrays.stream(probe).reduce(1, (a, b) -> a * b))], probe, names,
                    false);
        }
        List<Tensor> tensors = new ArrayList<>();
        for (OnnxModel.NodeOutput o : outputs) {
            ModelRun.Tensor t = shapes.get(o.name());
            tensors.add(new Tensor(o.name(), o.opType(), t.shape(), t.isFloat()));
        }
        return new Result(model.source(), model.imageInput().getName(), dims, probe, tensors);
    }

    /** The input shape for a run: fixed dimensions as declared, batch 1, 3 channels and the size where symbolic. */
    static long[] probeShape(List<Object> dims, int width, int height) {
        long[] wanted = {1, 3, height, width};
        long[] shape = new long[4];
        for (int i = 0; i < 4; i++) {
            shape[i] = i < dims.size() && dims.get(i) instanceof Long fixed && fixed > 0 ? fixed : wanted[i];
        }
        return shape;
    }
}
