package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.stream.ModelVersions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the versions of a camera's model on the models topic, with their provenance, which one "
                + "the scorer uses and which it refused.")
public class ModelListCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @Option(names = "--json", description = "One JSON object per version, in an array, instead of a table")
    boolean json;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelVersions versions = ModelVersions.read(kafka.connection(), camera);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelVersions.Version v : versions.all()) {
            rows.add(row(v, versions));
        }
        PrintWriter out = spec.commandLine().getOut();
        versions.problems().forEach(p -> spec.commandLine().getErr().println("warning: " + p));
        if (!versions.reported() && !rows.isEmpty()) {
            spec.commandLine().getErr().println("note: no scorer has reported on camera " + camera + " yet: no "
                    + "version is known to be active; 'pending' marks the one the models topic asks for");
        }
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            return 0;
        }
        if (rows.isEmpty()) {
            out.println("no model versions for camera " + camera + " on the models topic");
            return 0;
        }
        String format = "%-14s %-7s %-20s %-9s %7s %-18s %4s %10s  %-16s %s%n";
        out.printf(format, "VERSION", "STATE", "CREATED", "KIND", "FRAMES", "BACKBONE", "D", "THRESHOLD", "RULE",
                "PROVENANCE");
        for (Map<String, Object> r : rows) {
            out.printf(format, r.get("version"), marker((String) r.get("state")),
                    text(r.get("created")), text(r.get("kind")), text(r.get("frames")), text(r.get("backbone")),
                    text(r.get("features")), r.get("threshold") instanceof Double t ? String.format("%.4f", t) : "-",
                    text(r.get("threshold_rule")), lastColumn(r));
        }
        return 0;
    }

    /** The table's STATE column: what the versions are to scoring; a stored or incomplete one shows nothing. */
    private static String marker(String state) {
        if (state.equals(ModelVersions.State.ACTIVE.word())) {
            return "*";
        }
        return state.equals(ModelVersions.State.STORED.word()) || state.equals(ModelVersions.State.INCOMPLETE.word())
                ? "" : state;
    }

    /** Why a refused version was refused, what is wrong with a version, else its provenance. */
    private static Object lastColumn(Map<String, Object> r) {
        if (r.containsKey("refused_reason")) {
            return "refused: " + r.get("refused_reason");
        }
        return r.containsKey("problem") ? r.get("problem") : text(r.get("provenance"));
    }

    private static String text(Object o) {
        if (o instanceof String s && s.length() > 19 && s.matches("\\d{4}-.*Z")) {
            return s.substring(0, 19) + "Z";
        }
        return o == null ? "-" : o.toString();
    }

    private Map<String, Object> row(ModelVersions.Version v, ModelVersions versions) {
        Map<String, Object> r = new LinkedHashMap<>();
        ModelVersions.State state = versions.state(v);
        r.put("camera", camera);
        r.put("version", v.version());
        r.put("state", state.word());
        r.put("active", state == ModelVersions.State.ACTIVE);
        r.put("shadow", v.version() == versions.shadow());
        versions.refusal(v.version()).ifPresent(refusal -> {
            r.put("refused_reason", refusal.reason());
            r.put("refused_at", java.time.Instant.ofEpochMilli(refusal.at()).toString());
        });
        r.put("complete", v.complete());
        r.put("chunks", v.count());
        r.put("bytes", v.totalBytes());
        r.put("sha256", v.sha256());
        if (v.first() == null) {
            r.put("problem", "first chunk missing (" + v.received().cardinality() + " of " + v.count() + " chunks)");
            return r;
        }
        if (!v.complete()) {
            r.put("problem", "incomplete: " + v.received().cardinality() + " of " + v.count() + " chunks");
        }
        ModelInfo info;
        try {
            info = ModelFile.readInfo(v.first(), Path.of("camera " + camera + " version " + v.version()));
        } catch (java.io.IOException e) {
            r.put("problem", e.getMessage());
            return r;
        }
        r.put("created", info.created().toString());
        r.put("backbone", info.backboneName());
        r.put("backbone_sha256", info.backboneSha256());
        r.put("input_size", info.inputWidth() + "x" + info.inputHeight());
        r.put("features", info.features());
        r.put("seed", info.seed());
        r.put("eps", info.eps());
        r.put("training_frames", info.trainingFrames());
        r.put("threshold", Double.isFinite(info.threshold().threshold()) ? info.threshold().threshold() : null);
        r.put("threshold_rule", info.threshold().rule());
        r.put("held_back_frames", info.threshold().frames());
        var p = info.provenance();
        r.put("kind", p == null ? null : p.kind());
        r.put("frames", p == null ? info.trainingFrames() : p.frames());
        r.put("provenance", p == null ? "(none recorded)" : p.summary());
        if (p != null) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("kind", p.kind());
            detail.put("camera", p.camera());
            detail.put("sources", p.sources());
            detail.put("frames", p.frames());
            detail.put("from", p.from() == null ? null : p.from().toString());
            detail.put("to", p.to() == null ? null : p.to().toString());
            detail.put("codec", p.codec());
            detail.put("sample_fps", p.sampleFps());
            detail.put("based_on", p.basedOn());
            r.put("provenance_detail", detail);
        }
        return r;
    }
}
