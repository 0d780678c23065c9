package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.backbone.TensorSurvey;
import dev.vigil.onnx.OnnxModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List an ONNX model's tensors with their shapes and strides, measured by one ONNX Runtime run: "
                + "the 4-D float ones are the candidates for vigil backbone import --layers.")
class BackboneInspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<file.onnx>")
    Path file;

    @Option(names = "--size", paramLabel = "WxH", defaultValue = "224x224",
            description = "Input size of the run, unless the model's is fixed (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--all", description = "List every node output, not only the 4-D float tensors")
    boolean all;

    @Option(names = "--json", description = "Print JSON instead of a table")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int[] wh = Preprocessing.parseSize(size);
        OnnxModel model = OnnxModel.read(file);
        TensorSurvey.Result survey = TensorSurvey.run(model, wh[0], wh[1]);
        List<TensorSurvey.Tensor> shown = all ? survey.tensors() : survey.featureMaps();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("file", file.toString());
            doc.put("input", survey.input());
            doc.put("input_dims", survey.inputDims());
            doc.put("ir_version", model.irVersion());
            doc.put("opset", model.opset());
            doc.put("measured_with", survey.probeShape());
            List<Map<String, Object>> tensors = new ArrayList<>();
            for (TensorSurvey.Tensor t : shown) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", t.name());
                e.put("op", t.opType());
                e.put("shape", t.shape());
                e.put("float", t.isFloat());
                e.put("stride", survey.stride(t) > 0 ? survey.stride(t) : null);
                tensors.add(e);
            }
            doc.put("tensors", tensors);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            return 0;
        }
        out.printf("%s: input '%s' %s, IR %d, opset %d; shapes measured on an input of %s%n", file, survey.input(),
                OnnxModel.describe(model.imageInput().getType()), model.irVersion(), model.opset(),
                text(survey.probeShape()));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"tensor", "op", "shape", "stride"});
        for (TensorSurvey.Tensor t : shown) {
            rows.add(new String[]{t.name(), t.opType(), t.shapeText() + (t.isFloat() ? "" : " (not float)"),
                    survey.stride(t) > 0 ? String.valueOf(survey.stride(t)) : ""});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            out.println(String.format("%-" + widths[0] + "s  %-" + widths[1] + "s  %-" + widths[2] + "s  %s",
                    (Object[]) row).stripTrailing());
        }
        out.printf("%d of %d node outputs are 4-D float tensors (feature maps). For PaDiM, name the last one of each "
                        + "of three stages (e.g. strides 4, 8, 16), shallowest first: vigil backbone import --onnx %s "
                        + "--layers T1,T2,T3 --out DIR%n", survey.featureMaps().size(), survey.tensors().size(), file);
        return 0;
    }

    private static String text(long[] shape) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? "x" : "").append(shape[i]);
        }
        return s.toString();
    }
}
