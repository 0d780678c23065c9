package dev.vigil.backbone;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vigil.onnx.OnnxModel;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX Runtime session on the CPU for a model held in memory: the one-off runs with which import and inspect
 * measure a graph (which tensors exist, their shapes, whether a size works), as opposed to {@link OnnxBackbone},
 * which runs a finished backbone from its manifest.
 */
final class ModelRun implements AutoCloseable {
    private final OrtSession session;
    private final String input;
    private final String source;

    /** One output of a run: its shape, and its values when asked for and float. */
    record Tensor(long[] shape, boolean isFloat, float[] values) {
        int rank() {
            return shape.length;
        }
    }

    private ModelRun(OrtSession session, String input, String source) {
        this.session = session;
        this.input = input;
        this.source = source;
    }

    static ModelRun open(OnnxModel model) throws IOException {
        String input = model.imageInput().getName();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            // a failed run is an exception with the same message; the log would print it a second time
            options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            return new ModelRun(OrtEnvironment.getEnvironment().createSession(model.toByteArray(), options), input,
                    model.source());
        } catch (OrtException e) {
            throw new IOException(model.source() + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /**
     * Runs one input batch and returns the named outputs, in the order asked.
     *
     * @param image  {@code [shape]} float values, NCHW
     * @param values whether to copy the outputs' values (float outputs only), or only their shapes
     */
    Map<String, Tensor> run(float[] image, long[] shape, Collection<String> outputs, boolean values) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), shape);
             OrtSession.Result result = session.run(Map.of(input, tensor), new java.util.LinkedHashSet<>(outputs))) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : outputs) {
                OnnxValue value = result.get(name).orElseThrow();
                if (!(value instanceof OnnxTensor t)) {
                    out.put(name, new Tensor(new long[0], false, null));
                    continue;
                }
                boolean isFloat = t.getInfo().type == OnnxJavaType.FLOAT;
                float[] data = null;
                if (values && isFloat) {
                    FloatBuffer buffer = t.getFloatBuffer();
                    data = new float[buffer.remaining()];
                    buffer.get(data);
                }
                out.put(name, new Tensor(t.getInfo().getShape(), isFloat, data));
            }
            return out;
        } catch (OrtException e) {
            throw new IOException(source + ": ONNX Runtime failed on an input of shape "
                    + java.util.Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing left to release that matters to the caller
        }
    }
}
