package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.bench.Benchmark;
import dev.vigil.engine.FitOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure backbone, fitting and scoring throughput in one run and write them as JSON.")
public class BenchCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engine;

    @Option(names = "--json", required = true, paramLabel = "<file>", description = "Where to write the results")
    Path json;

    @Option(names = "--batches", defaultValue = "8", paramLabel = "N", description = "Batches per measurement (default: ${DEFAULT-VALUE})")
    int batches;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "R",
            description = "Rounds of the three measurements; medians are reported, ratios per round "
                    + "(default: ${DEFAULT-VALUE})")
    int rounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> result;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            int d = engine.features != null ? engine.features
                    : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
            result = Benchmark.run(backbone, new Benchmark.Options(engine.preprocessing(backbone.manifest()), d, engine.batch, batches,
                    rounds, engine.seed));
        }
        if (json.toAbsolutePath().getParent() != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
        spec.commandLine().getOut().printf("%s %s d=%s batch %s on %s: backbone %.1f img/s, pipeline %.1f img/s (%.2fx), "
                        + "fit %.1f img/s (%.2fx); %s%n", result.get("backbone"), result.get("input_size"),
                result.get("features"), result.get("batch"), result.get("execution_provider"),
                result.get("backbone_images_per_second"), result.get("pipeline_images_per_second"),
                result.get("pipeline_to_backbone"), result.get("fit_images_per_second"), result.get("fit_to_backbone"),
                json);
        return 0;
    }
}
