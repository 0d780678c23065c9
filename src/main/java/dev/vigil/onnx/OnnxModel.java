package dev.vigil.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.vigil.onnx.OnnxProto.AttributeProto;
import dev.vigil.onnx.OnnxProto.GraphProto;
import dev.vigil.onnx.OnnxProto.ModelProto;
import dev.vigil.onnx.OnnxProto.NodeProto;
import dev.vigil.onnx.OnnxProto.TensorProto;
import dev.vigil.onnx.OnnxProto.TensorShapeProto;
import dev.vigil.onnx.OnnxProto.TypeProto;
import dev.vigil.onnx.OnnxProto.ValueInfoProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model held in memory as its protobuf message ({@code src/main/proto/onnx_model.proto}): read with the checks
 * that tell an ONNX file from anything else, edited by methods that return a new model, written back. Nothing here
 * runs the model; {@code dev.vigil.backbone} does that with ONNX Runtime.
 */
public final class OnnxModel {
    /** Element type FLOAT in ONNX's TensorProto.DataType. */
    public static final int FLOAT = 1;
    /** A protobuf message, and so an ONNX file without external data, cannot exceed 2 GB. */
    private static final long MAX_BYTES = Integer.MAX_VALUE;

    private final ModelProto proto;
    private final String source;

    private OnnxModel(ModelProto proto, String source) {
        this.proto = proto;
        this.source = source;
    }

    /** A tensor computed by a node of the main graph, in the graph's (topological) order. */
    public record NodeOutput(String name, String opType, String nodeName) {
    }

    /**
     * Reads and checks an ONNX file. Refused, naming the file and the check: a missing or empty file, one over 2 GB,
     * bytes that are not an ONNX ModelProto, a model without graph, nodes or opset, and weights kept in external data
     * files.
     */
    public static OnnxModel read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("ONNX file " + file + " does not exist");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException("ONNX file " + file + " is " + size + " bytes: files over 2 GB keep their weights in"
                    + " external data files, which Vigil does not read");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** As {@link #read}, from bytes; {@code source} names them in messages. */
    public static OnnxModel parse(byte[] bytes, String source) throws IOException {
        if (bytes.length == 0) {
            throw new IOException(source + " is not an ONNX model: the file is empty");
        }
        ModelProto proto;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            // protobuf refuses messages over 64 MB by default; ONNX files are routinely larger
            in.setSizeLimit(Integer.MAX_VALUE);
            // tensors keep views of the file's bytes instead of copies: a 300 MB model is not held twice
            in.enableAliasing(true);
            proto = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(source + " is not an ONNX model: it does not parse as an ONNX ModelProto ("
                    + e.getMessage() + ")", e);
        }
        OnnxModel model = new OnnxModel(proto, source);
        model.check();
        return model;
    }

    private void check() throws IOException {
        // random bytes sometimes parse as some protobuf message: these fields say it is a model
        if (proto.getIrVersion() <= 0) {
            throw new IOException(source + " is not an ONNX model: it has no ir_version");
        }
        if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
            throw new IOException(source + " is not an ONNX model: it has no graph nodes");
        }
        if (proto.getOpsetImportCount() == 0) {
            throw new IOException(source + " is not an ONNX model: it imports no operator set (opset_import)");
        }
        String external = externalTensor(proto.getGraph());
        if (external != null) {
            throw new IOException(source + ": " + external + "; Vigil reads self-contained ONNX files only (under 2 GB):"
                    + " save it as one file, e.g. onnx.save_model(model, 'model.onnx', save_as_external_data=False)");
        }
    }

    /** The first tensor whose data lives outside the file, described, or null. */
    private static String externalTensor(GraphProto graph) {
        for (TensorProto t : graph.getInitializerList()) {
            if (isExternal(t)) {
                return "initializer '" + t.getName() + "' keeps its data in an external file (" + location(t) + ")";
            }
        }
        for (NodeProto node : graph.getNodeList()) {
            for (AttributeProto a : node.getAttributeList()) {
                List<TensorProto> tensors = new ArrayList<>(a.getTensorsList());
                if (a.hasT()) {
                    tensors.add(a.getT());
                }
                for (TensorProto t : tensors) {
                    if (isExternal(t)) {
                        return "node '" + node.getName() + "' (" + node.getOpType() + ") keeps a tensor in an external"
                                + " file (" + location(t) + ")";
                    }
                }
                for (GraphProto sub : subgraphs(a)) {
                    String inner = externalTensor(sub);
                    if (inner != null) {
                        return inner;
                    }
                }
            }
        }
        return null;
    }

    private static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == 1 || t.getExternalDataCount() > 0;
    }

    private static String location(TensorProto t) {
        return t.getExternalDataList().stream().filter(e -> e.getKey().equals("location"))
                .map(e -> "'" + e.getValue() + "'").findFirst().orElse("location not given");
    }

    private static List<GraphProto> subgraphs(AttributeProto a) {
        List<GraphProto> out = new ArrayList<>(a.getGraphsList());
        if (a.hasG()) {
            out.add(a.getG());
        }
        return out;
    }

    public ModelProto proto() {
        return proto;
    }

    /** Where the model came from, for messages. */
    public String source() {
        return source;
    }

    public byte[] toByteArray() {
        return proto.toByteArray();
    }

    /** Writes the model through a temporary file in the same folder, so a reader never sees half a file. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // not createTempFile: its owner-only permissions would stay with the file; this one gets the umask's
        Path tmp = dir.resolve(file.getFileName() + "." + Long.toHexString(new java.util.Random().nextLong()) + ".tmp");
        try {
            Files.write(tmp, toByteArray(), java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The image input: the one graph input that is not an initializer. Older files (IR version 3) list every weight
     * as an input too, so those are skipped.
     */
    public ValueInfoProto imageInput() throws IOException {
        Set<String> weights = initializerNames(proto.getGraph());
        List<ValueInfoProto> inputs = proto.getGraph().getInputList().stream()
                .filter(v -> !weights.contains(v.getName())).toList();
        if (inputs.size() != 1) {
            throw new IOException(source + ": a backbone needs exactly one image input, the model has "
                    + inputs.stream().map(v -> "'" + v.getName() + "' " + describe(v.getType())).toList());
        }
        ValueInfoProto input = inputs.get(0);
        TypeProto type = input.getType();
        if (!type.hasTensorType() || type.getTensorType().getElemType() != FLOAT
                || (type.getTensorType().hasShape() && type.getTensorType().getShape().getDimCount() != 4)) {
            throw new IOException(source + ": input '" + input.getName() + "' is " + describe(type)
                    + ", not an image batch float[N][3][H][W]");
        }
        return input;
    }

    /** Every tensor computed by a node of the main graph, in graph order (the candidates for feature maps). */
    public List<NodeOutput> nodeOutputs() {
        List<NodeOutput> out = new ArrayList<>();
        for (NodeProto node : proto.getGraph().getNodeList()) {
            for (String name : node.getOutputList()) {
                if (!name.isEmpty()) {
                    out.add(new NodeOutput(name, node.getOpType(), node.getName()));
                }
            }
        }
        return out;
    }

    /**
     * The same model with the given tensors added as graph outputs (name only: ONNX Runtime infers their types), so
     * one run shows their values. Tensors that are outputs already are not repeated.
     */
    public OnnxModel exposing(List<String> tensors) {
        GraphProto.Builder graph = proto.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String t : tensors) {
            if (outputs.add(t)) {
                graph.addOutput(ValueInfoProto.newBuilder().setName(t));
            }
        }
        // recorded shapes can contradict another input size, and ONNX Runtime infers them anyway
        graph.clearValueInfo();
        return new OnnxModel(proto.toBuilder().setGraph(graph).build(), source);
    }

    /**
     * A feature extractor cut from this model: only the nodes that the given tensors need (walking back from them),
     * the initializers and inputs those nodes read, and the tensors as the only outputs, renamed. The part of the graph
     * after them (pooling, classifier) is gone. A tensor of the kept graph that already bears one of the new output
     * names is renamed out of the way.
     *
     * @param tensors     names of tensors computed by nodes of the main graph
     * @param outputNames the new output names, one per tensor (e.g. layer1..3)
     */
    public OnnxModel extract(List<String> tensors, List<String> outputNames) throws IOException {
        if (tensors.size() != outputNames.size() || tensors.isEmpty()) {
            throw new IllegalArgumentException("one output name per tensor, at least one");
        }
        GraphProto graph = proto.getGraph();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            for (String out : graph.getNode(i).getOutputList()) {
                producer.put(out, i);
            }
        }
        for (String t : tensors) {
            if (!producer.containsKey(t)) {
                throw new IOException(source + ": no node computes a tensor named '" + t + "'");
            }
        }
        boolean[] keep = new boolean[graph.getNodeCount()];
        Set<String> used = new HashSet<>();
        Deque<String> pending = new ArrayDeque<>(tensors);
        while (!pending.isEmpty()) {
            String t = pending.pop();
            if (!used.add(t)) {
                continue;
            }
            Integer p = producer.get(t);
            if (p != null && !keep[p]) {
                keep[p] = true;
                pending.addAll(reads(graph.getNode(p)));
            }
        }
        GraphProto.Builder cut = graph.toBuilder().clearNode().clearInitializer().clearInput().clearOutput()
                .clearValueInfo();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (keep[i]) {
                cut.addNode(graph.getNode(i));
            }
        }
        graph.getInitializerList().stream().filter(t -> used.contains(t.getName())).forEach(cut::addInitializer);
        ValueInfoProto image = imageInput();
        if (!used.contains(image.getName())) {
            throw new IOException(source + ": the tensors " + tensors + " do not depend on the input '"
                    + image.getName() + "'");
        }
        // the image input, and in IR 3 files the weights, which are listed as inputs too
        graph.getInputList().stream().filter(v -> used.contains(v.getName())).forEach(cut::addInput);

        Map<String, String> renames = new HashMap<>();
        for (int i = 0; i < outputNames.size(); i++) {
            String name = outputNames.get(i);
            if (used.contains(name) && !name.equals(tensors.get(i))) {
                renames.put(name, freeName(name, used));
            }
        }
        renameTensors(cut, renames);
        for (int i = 0; i < tensors.size(); i++) {
            String tensor = renames.getOrDefault(tensors.get(i), tensors.get(i));
            String name = outputNames.get(i);
            if (!tensor.equals(name)) {
                cut.addNode(NodeProto.newBuilder().setOpType("Identity").setName("vigil_" + name)
                        .addInput(tensor).addOutput(name));
            }
            cut.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT))));
        }
        return new OnnxModel(proto.toBuilder().setGraph(cut).build(), source);
    }

    /** Names a node reads: its inputs, and the enclosing-graph tensors its subgraphs (If, Loop, Scan) use. */
    private static Set<String> reads(NodeProto node) {
        Set<String> names = new HashSet<>();
        node.getInputList().stream().filter(n -> !n.isEmpty()).forEach(names::add);
        for (AttributeProto a : node.getAttributeList()) {
            for (GraphProto sub : subgraphs(a)) {
                names.addAll(outerReads(sub));
            }
        }
        return names;
    }

    /** Tensors a subgraph reads but does not define itself: those come from the enclosing graph. */
    private static Set<String> outerReads(GraphProto graph) {
        Set<String> defined = new HashSet<>(initializerNames(graph));
        graph.getInputList().forEach(v -> defined.add(v.getName()));
        Set<String> read = new HashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            read.addAll(reads(node));
            defined.addAll(node.getOutputList());
        }
        read.removeAll(defined);
        return read;
    }

    private static String freeName(String name, Set<String> taken) {
        String candidate = name + "_original";
        for (int i = 2; taken.contains(candidate); i++) {
            candidate = name + "_original" + i;
        }
        taken.add(candidate);
        return candidate;
    }

    private static void renameTensors(GraphProto.Builder graph, Map<String, String> renames) {
        if (renames.isEmpty()) {
            return;
        }
        for (NodeProto.Builder node : graph.getNodeBuilderList()) {
            for (int i = 0; i < node.getInputCount(); i++) {
                node.setInput(i, renames.getOrDefault(node.getInput(i), node.getInput(i)));
            }
            for (int i = 0; i < node.getOutputCount(); i++) {
                node.setOutput(i, renames.getOrDefault(node.getOutput(i), node.getOutput(i)));
            }
            for (AttributeProto.Builder a : node.getAttributeBuilderList()) {
                if (a.hasG()) {
                    renameTensors(a.getGBuilder(), renames);
                }
                a.getGraphsBuilderList().forEach(g -> renameTensors(g, renames));
            }
        }
        for (TensorProto.Builder t : graph.getInitializerBuilderList()) {
            t.setName(renames.getOrDefault(t.getName(), t.getName()));
        }
        for (ValueInfoProto.Builder v : graph.getInputBuilderList()) {
            v.setName(renames.getOrDefault(v.getName(), v.getName()));
        }
    }

    /**
     * The same model with the image input's dimensions replaced: a {@link Long} sets a fixed size, a {@link String} a
     * symbolic one (any size at run time), null keeps the dimension as it is.
     */
    public OnnxModel withInputShape(Object... dims) throws IOException {
        String name = imageInput().getName();
        GraphProto.Builder graph = proto.getGraph().toBuilder();
        for (ValueInfoProto.Builder input : graph.getInputBuilderList()) {
            if (input.getName().equals(name)) {
                TensorShapeProto old = input.getType().getTensorType().getShape();
                TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
                for (int i = 0; i < dims.length; i++) {
                    if (dims[i] == null && i < old.getDimCount()) {
                        shape.addDim(old.getDim(i));
                    } else {
                        shape.addDim(dimension(dims[i]));
                    }
                }
                input.getTypeBuilder().getTensorTypeBuilder().setShape(shape);
            }
        }
        return new OnnxModel(proto.toBuilder().setGraph(graph).build(), source);
    }

    /**
     * The same model with the named outputs declared float tensors of the given shapes ({@link Long} fixed,
     * {@link String} symbolic, null unknown).
     */
    public OnnxModel withOutputShapes(Map<String, Object[]> shapes) {
        GraphProto.Builder graph = proto.getGraph().toBuilder();
        for (ValueInfoProto.Builder output : graph.getOutputBuilderList()) {
            Object[] dims = shapes.get(output.getName());
            if (dims != null) {
                TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
                for (Object d : dims) {
                    shape.addDim(dimension(d));
                }
                output.setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape)));
            }
        }
        return new OnnxModel(proto.toBuilder().setGraph(graph).build(), source);
    }

    /** The same model with metadata entries added or replaced (shown by tools such as Netron). */
    public OnnxModel withMetadata(Map<String, String> entries) {
        Map<String, String> all = new LinkedHashMap<>();
        proto.getMetadataPropsList().forEach(e -> all.put(e.getKey(), e.getValue()));
        all.putAll(entries);
        ModelProto.Builder b = proto.toBuilder().clearMetadataProps();
        all.forEach((k, v) -> b.addMetadataProps(OnnxProto.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return new OnnxModel(b.build(), source);
    }

    private static TensorShapeProto.Dimension dimension(Object d) {
        TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
        if (d instanceof Number n) {
            b.setDimValue(n.longValue());
        } else if (d instanceof String s) {
            b.setDimParam(s);
        }
        return b.build();
    }

    private static Set<String> initializerNames(GraphProto graph) {
        Set<String> names = new HashSet<>();
        graph.getInitializerList().forEach(t -> names.add(t.getName()));
        return names;
    }

    /** The image input's dimensions: a Long where fixed, the symbol (or "?") where not. */
    public List<Object> inputDims() throws IOException {
        List<Object> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : imageInput().getType().getTensorType().getShape().getDimList()) {
            dims.add(d.hasDimValue() ? (Object) d.getDimValue() : d.hasDimParam() ? d.getDimParam() : "?");
        }
        return dims;
    }

    /** A type as ONNX tools write it, e.g. {@code float[N,3,224,224]}. */
    public static String describe(TypeProto type) {
        if (!type.hasTensorType()) {
            return "a non-tensor value";
        }
        TypeProto.Tensor t = type.getTensorType();
        StringBuilder s = new StringBuilder(elementType(t.getElemType()));
        if (t.hasShape()) {
            s.append('[');
            for (int i = 0; i < t.getShape().getDimCount(); i++) {
                TensorShapeProto.Dimension d = t.getShape().getDim(i);
                s.append(i > 0 ? "," : "").append(d.hasDimValue() ? String.valueOf(d.getDimValue())
                        : d.hasDimParam() ? d.getDimParam() : "?");
            }
            s.append(']');
        }
        return s.toString();
    }

    private static String elementType(int type) {
        return switch (type) {
            case 1 -> "float";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 6 -> "int32";
            case 7 -> "int64";
            case 9 -> "bool";
            case 10 -> "float16";
            case 11 -> "double";
            case 16 -> "bfloat16";
            default -> "type" + type;
        };
    }

    public long irVersion() {
        return proto.getIrVersion();
    }

    /** The default-domain opset the model imports, or 0. */
    public long opset() {
        return proto.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OnnxProto.OperatorSetIdProto::getVersion).max().orElse(0);
    }
}
