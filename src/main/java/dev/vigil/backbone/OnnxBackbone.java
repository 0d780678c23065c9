package dev.vigil.backbone;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.vigil.integrity.FileDigests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A feature extractor run by ONNX Runtime: CUDA execution provider when the runtime has it (built with
 * {@code -Pgpu}) and a device answers, the CPU otherwise. Thread-safe: ONNX Runtime sessions allow concurrent runs.
 */
public final class OnnxBackbone implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxBackbone.class);

    private final BackboneManifest manifest;
    private final String sha256;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String provider;
    private final Set<String> outputNames;

    /** Output feature maps of one batch: one {@code [N][C][H][W]} array per manifest output, in manifest order. */
    public record Features(int batch, List<int[]> shapes, List<float[]> layers) {
    }

    private OnnxBackbone(BackboneManifest manifest, String sha256, OrtEnvironment env, OrtSession session,
                         String provider) {
        this.manifest = manifest;
        this.sha256 = sha256;
        this.env = env;
        this.session = session;
        this.provider = provider;
        this.outputNames = new LinkedHashSet<>();
        manifest.outputs().forEach(o -> outputNames.add(o.name()));
    }

    public static OnnxBackbone load(Path manifestPath) throws IOException {
        return load(BackboneManifest.read(manifestPath), Device.AUTO);
    }

    public enum Device { AUTO, CPU, CUDA }

    /**
     * Loads the ONNX file named by the manifest, checks its sha256 when the manifest gives one and checks that the
     * model has the input and outputs the manifest names.
     */
    public static OnnxBackbone load(BackboneManifest manifest, Device device) throws IOException {
        Path file = manifest.modelPath();
        if (!Files.isRegularFile(file)) {
            throw new IOException("backbone " + manifest.name() + ": ONNX file " + file + " does not exist");
        }
        String digest = FileDigests.sha256(file);
        if (manifest.sha256() != null && !manifest.sha256().equalsIgnoreCase(digest)) {
            throw new IOException("backbone " + manifest.name() + ": ONNX file " + file + " has sha256 " + digest
                    + " but the manifest expects " + manifest.sha256());
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            OrtSession.SessionOptions options = cpuOptions();
            String provider = "CPU";
            boolean cudaBuilt = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
            if (device == Device.CUDA && !cudaBuilt) {
                throw new IOException("CUDA was requested but this ONNX Runtime has no CUDA provider (build with -Pgpu)");
            }
            if (device != Device.CPU && cudaBuilt) {
                try {
                    options.addCUDA(0);
                    provider = "CUDA";
                } catch (OrtException e) {
                    if (device == Device.CUDA) {
                        throw new IOException("CUDA execution provider failed to start: " + e.getMessage(), e);
                    }
                    LOG.warn("CUDA execution provider unavailable ({}), running on the CPU", e.getMessage());
                }
            }
            OrtSession session;
            try {
                session = env.createSession(file.toString(), options);
            } catch (OrtException e) {
                if (!provider.equals("CUDA") || device == Device.CUDA) {
                    throw e;
                }
                // the CUDA provider registered but the session could not start on it (driver, cuDNN): use the CPU
                LOG.warn("CUDA session for {} failed ({}), running on the CPU", manifest.name(), e.getMessage());
                options.close();
                options = cpuOptions();
                provider = "CPU";
                session = env.createSession(file.toString(), options);
            }
            OnnxBackbone backbone = new OnnxBackbone(manifest, digest, env, session, provider);
            backbone.checkSignature();
            LOG.info("backbone {} ({}) on {} execution provider", manifest.name(), file.getFileName(), provider);
            return backbone;
        } catch (OrtException e) {
            throw new IOException("backbone " + manifest.name() + ": ONNX Runtime cannot load " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static OrtSession.SessionOptions cpuOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
        // no spinning: the Java side (Mahalanobis, maps) shares these cores between backbone runs
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    private void checkSignature() throws OrtException, IOException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (!inputs.containsKey(manifest.input().name())) {
            throw new IOException("backbone " + manifest.name() + ": the model has no input '" + manifest.input().name()
                    + "' (it has " + inputs.keySet() + ")");
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        for (String name : outputNames) {
            if (!outputs.containsKey(name)) {
                throw new IOException("backbone " + manifest.name() + ": the model has no output '" + name
                        + "' (it has " + outputs.keySet() + ")");
            }
            if (outputs.get(name).getInfo() instanceof TensorInfo t && t.getShape().length != 4) {
                throw new IOException("backbone " + manifest.name() + ": output '" + name
                        + "' is not a feature map [N][C][H][W]");
            }
        }
    }

    public BackboneManifest manifest() {
        return manifest;
    }

    /** sha256 of the ONNX file actually loaded. */
    public String sha256() {
        return sha256;
    }

    /** "CUDA" or "CPU". */
    public String provider() {
        return provider;
    }

    /**
     * This thread's buffers for runs: a direct input buffer ONNX Runtime reads in place, direct output buffers it
     * writes into (pinned outputs), and the arrays the outputs are copied to. Without them every run allocated,
     * zeroed and page-faulted about three times the batch's inputs and outputs (a tenth of learning's CPU).
     */
    private static final class Buffers {
        FloatBuffer input = FloatBuffer.allocate(0);
        final List<FloatBuffer> outputs = new ArrayList<>();
        final List<float[]> arrays = new ArrayList<>();
    }

    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    /**
     * Runs a batch. The returned arrays are this thread's and are overwritten by its next run of this backbone: use
     * them (or copy them) before.
     *
     * @param input {@code [batch][3][height][width]}, already normalised
     */
    public Features run(float[] input, int batch, int height, int width) {
        int size = batch * 3 * height * width;
        Buffers b = buffers.get();
        if (b.input.capacity() < size) {
            b.input = ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        FloatBuffer in = b.input.clear().put(input, 0, size).flip();
        List<long[]> shapes = outputShapes(batch, height, width);
        try {
            if (shapes != null) {
                try {
                    return run(b, in, batch, height, width, shapes);
                } catch (OrtException e) {
                    // outputs that are not the shapes the manifest implies: run again with outputs ONNX Runtime
                    // allocates, so that the caller's shape check names what the model made
                    LOG.debug("backbone {}: outputs written in place failed ({}), running again", manifest.name(),
                            e.getMessage());
                }
            }
            return run(b, in, batch, height, width, null);
        } catch (OrtException e) {
            throw new IllegalStateException("backbone " + manifest.name() + " failed on a batch of " + batch + " "
                    + width + "x" + height + " images: " + e.getMessage(), e);
        }
    }

    /** One run; with {@code shapes}, into this thread's output buffers (pinned outputs), else into ONNX Runtime's. */
    private Features run(Buffers b, FloatBuffer in, int batch, int height, int width, List<long[]> shapes)
            throws OrtException {
        Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, in.duplicate(), new long[]{batch, 3, height, width})) {
            if (shapes != null) {
                int i = 0;
                for (String name : outputNames) {
                    pinned.put(name, OnnxTensor.createTensor(env, outputBuffer(b, i, shapes.get(i)), shapes.get(i)));
                    i++;
                }
            }
            try (OrtSession.Result result = pinned.isEmpty()
                    ? session.run(Map.of(manifest.input().name(), tensor), outputNames)
                    : session.run(Map.of(manifest.input().name(), tensor), pinned)) {
                List<int[]> outShapes = new ArrayList<>();
                List<float[]> layers = new ArrayList<>();
                int i = 0;
                for (String name : outputNames) {
                    OnnxTensor out = pinned.isEmpty() ? (OnnxTensor) result.get(name).orElseThrow() : pinned.get(name);
                    long[] shape = out.getInfo().getShape();
                    FloatBuffer values = pinned.isEmpty() ? out.getFloatBuffer() : b.outputs.get(i).duplicate();
                    float[] array = outputArray(b, i, values.remaining());
                    values.get(array);
                    outShapes.add(new int[]{(int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]});
                    layers.add(array);
                    i++;
                }
                return new Features(batch, outShapes, layers);
            }
        } finally {
            pinned.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * The outputs' shapes as the manifest's strides give them, or null when the input size is not a multiple of
     * every stride: then ONNX Runtime allocates the outputs and the caller's shape check sees what it made.
     */
    private List<long[]> outputShapes(int batch, int height, int width) {
        List<long[]> shapes = new ArrayList<>();
        for (BackboneManifest.Output o : manifest.outputs()) {
            if (height % o.stride() != 0 || width % o.stride() != 0) {
                return null;
            }
            shapes.add(new long[]{batch, o.channels(), height / o.stride(), width / o.stride()});
        }
        return shapes;
    }

    private static FloatBuffer outputBuffer(Buffers b, int i, long[] shape) {
        int size = Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3]);
        while (b.outputs.size() <= i) {
            b.outputs.add(FloatBuffer.allocate(0));
        }
        if (b.outputs.get(i).capacity() < size) {
            b.outputs.set(i, ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer());
        }
        b.outputs.set(i, b.outputs.get(i).clear().limit(size));
        return b.outputs.get(i).slice();
    }

    private static float[] outputArray(Buffers b, int i, int size) {
        while (b.arrays.size() <= i) {
            b.arrays.add(new float[0]);
        }
        // exactly the output's size: callers may read an output's length as its size
        if (b.arrays.get(i).length != size) {
            b.arrays.set(i, new float[size]);
        }
        return b.arrays.get(i);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the ONNX session: {}", e.getMessage());
        }
    }
}
