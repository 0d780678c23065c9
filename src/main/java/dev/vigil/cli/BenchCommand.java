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

import java.nio.file.Path;
import java.util.List;
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
            description = "Rounds of the three measurements (--learning: of the backbone figure and each phase); "
                    + "medians are reported, ratios taken within each round (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--motion", defaultValue = "0", paramLabel = "W",
            description = "Also time, in each round, the scoring pipeline of a model with a motion stream at weight W "
                    + "(train --motion) against the plain one (default: ${DEFAULT-VALUE}, not timed)")
    double motion;

    @Option(names = "--memory", paramLabel = "R",
            description = "Also time, in each round, the scoring pipeline of that model (with --motion, the video "
                    + "default) with a patch memory of rows y-R..y+R (train --memory), asked only above its gate, and "
                    + "asked about every patch (a crowd), against the plain one (default: not timed)")
    Integer memory;

    @Option(names = "--memory-gate", paramLabel = "Q", defaultValue = "" + dev.vigil.padim.Scoring.DEFAULT_GATE,
            description = "--memory: its gate quantile, taken on the bench frames' own appearance distances "
                    + "(default: ${DEFAULT-VALUE})")
    double memoryGate;

    @Option(names = "--through-kafka",
            description = "Measure the service instead: a frame backlog scored through an embedded Kafka broker and "
                    + "the topology (capacity), then live cameras for latency and lag; compared with the offline "
                    + "pipeline in the same run")
    boolean throughKafka;

    @Option(names = "--scale-out",
            description = "Measure scaling out instead: capacity of one vigil serve process, then of --instances "
                    + "processes of one application sharing the cameras (each phase on a fresh embedded broker, after "
                    + "the same warm-up), then a failover: one instance killed while the cameras send, the time to "
                    + "each of its cameras' first map from a survivor, and frames lost or scored twice")
    boolean scaleOut;

    @Option(names = "--instances", defaultValue = "2", paramLabel = "N",
            description = "--scale-out: instances compared with one (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--brokers", defaultValue = "1", paramLabel = "1|3",
            description = "--scale-out: an embedded single broker, or a 3-node KRaft cluster (replication 3, min ISR 2) "
                    + "(default: ${DEFAULT-VALUE})")
    int brokers;

    @Option(names = "--serve-args", paramLabel = "\"ARGS\"",
            description = "--scale-out: more options for every vigil serve process, space-separated in one argument, "
                    + "e.g. \"--transaction-timeout PT15S\"")
    String serveArgs;

    @Option(names = "--warm-up-rounds", defaultValue = "3", paramLabel = "R",
            description = "--scale-out: untimed warm-up rounds of --warm-up frames per camera in each phase "
                    + "(default: ${DEFAULT-VALUE})")
    int warmUpRounds;

    @Option(names = "--cameras", paramLabel = "N",
            description = "--through-kafka, --scale-out: cameras (default: 5; 6 with --scale-out, one per partition)")
    Integer cameras;

    @Option(names = "--camera-fps", defaultValue = "5", paramLabel = "F",
            description = "--through-kafka, --scale-out: frames per second per camera in the live phase (the failover, "
                    + "with --scale-out) (default: ${DEFAULT-VALUE})")
    double cameraFps;

    @Option(names = "--live-seconds", defaultValue = "30", paramLabel = "S",
            description = "--through-kafka: length of the live phase (default: ${DEFAULT-VALUE})")
    int liveSeconds;

    @Option(names = "--warm-up", defaultValue = "400", paramLabel = "N",
            description = "--through-kafka, --scale-out: frames per camera in each untimed warm-up round; rounds repeat "
                    + "until compiling takes under 2%% of the machine, at most 20 (--scale-out: --warm-up-rounds) "
                    + "(default: ${DEFAULT-VALUE})")
    int warmUp;

    @Option(names = "--backlog", defaultValue = "400", paramLabel = "N",
            description = "--through-kafka, --scale-out: frames per camera in the capacity backlog (default: "
                    + "${DEFAULT-VALUE})")
    int backlog;

    @Option(names = "--linger-ms", defaultValue = "20", paramLabel = "MS",
            description = "--through-kafka, --scale-out: the scorer's batch linger (default: ${DEFAULT-VALUE})")
    long lingerMs;

    @Option(names = "--work-dir", defaultValue = "target/bench-stream", paramLabel = "<dir>",
            description = "--through-kafka, --scale-out: broker data, state and model (--scale-out: in its scale-out "
                    + "subdirectory) (default: ${DEFAULT-VALUE})")
    Path workDir;

    @Option(names = "--learning",
            description = "Time learning from the stream instead: a camera's frames on an embedded broker, fitted, "
                    + "thresholded and published by the scorer's learner, for phases of --learn-frames")
    boolean learning;

    @Option(names = "--learn-frames", defaultValue = "300,1200", split = ",", paramLabel = "N[,N...]",
            description = "--learning: phase lengths to time, in frames (default: ${DEFAULT-VALUE})")
    List<Integer> learnFrames;

    @Option(names = "--broker-dir", paramLabel = "<dir>",
            description = "--through-kafka: where the embedded broker keeps its log, in a vigil-bench-kafka "
                    + "subdirectory (default: <work-dir>/kafka). In a deployment the broker has its own machine and "
                    + "disk; another disk or a tmpfs here keeps its writes off the scorer's disk")
    Path brokerDir;

    @Mixin
    FrameCodecOptions frameCodec;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((throughKafka ? 1 : 0) + (scaleOut ? 1 : 0) + (learning ? 1 : 0) > 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--through-kafka, --scale-out and --learning are separate measurements: give one");
        }
        if (throughKafka) {
            return throughKafka();
        }
        if (scaleOut) {
            return scaleOut();
        }
        if (learning) {
            return learning();
        }
        Map<String, Object> result;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            int d = engine.features != null ? engine.features
                    : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
            result = Benchmark.run(backbone, new Benchmark.Options(engine.preprocessing(backbone.manifest()), d, engine.batch, batches,
                    rounds, engine.seed, motion, memory == null ? null
                    : new dev.vigil.padim.Scoring.Memory(memory, memoryGate)));
        }
        write(result);
        spec.commandLine().getOut().printf("%s %s d=%s batch %s on %s: backbone %.1f img/s, pipeline %.1f img/s (%.2fx), "
                        + "fit %.1f img/s (%.2fx); %s%n", result.get("backbone"), result.get("input_size"),
                result.get("features"), result.get("batch"), result.get("execution_provider"),
                result.get("backbone_images_per_second"), result.get("pipeline_images_per_second"),
                result.get("pipeline_to_backbone"), result.get("fit_images_per_second"), result.get("fit_to_backbone"),
                json);
        if (motion > 0) {
            spec.commandLine().getOut().printf("with a motion stream (weight %s): pipeline %.1f img/s, %.2fx the plain "
                    + "pipeline%n", motion, result.get("motion_pipeline_images_per_second"),
                    result.get("motion_to_plain_pipeline"));
        }
        if (memory != null) {
            spec.commandLine().getOut().printf("with a patch memory (rows +-%d, gate quantile %s): pipeline %.1f img/s, "
                    + "%.2fx the plain pipeline; asked about every patch %.1f img/s, %.2fx%n", memory, memoryGate,
                    result.get("memory_pipeline_images_per_second"), result.get("memory_to_plain_pipeline"),
                    result.get("every_patch_memory_pipeline_images_per_second"),
                    result.get("every_patch_memory_to_plain_pipeline"));
        }
        return 0;
    }

    private int throughKafka() throws Exception {
        Map<String, Object> r;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            int d = engine.features != null ? engine.features
                    : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
            r = dev.vigil.bench.StreamBenchmark.run(backbone, new dev.vigil.bench.StreamBenchmark.Options(
                    engine.preprocessing(backbone.manifest()), d, engine.batch, java.time.Duration.ofMillis(lingerMs),
                    cameras == null ? 5 : cameras, warmUp, backlog, cameraFps, java.time.Duration.ofSeconds(liveSeconds), frameCodec.codec(),
                    engine.seed, workDir, brokerDir));
        }
        write(r);
        spec.commandLine().getOut().printf("%s %s d=%s batch %s on %s: bench pipeline %.1f img/s, offline from %s %.1f "
                        + "img/s; through Kafka %.1f img/s (%.2fx the pipeline); %d cameras x %.0f fps: latency p50 "
                        + "%d ms, p99 %d ms, max lag %d frames; %s%n", r.get("backbone"), r.get("input_size"),
                r.get("features"), r.get("batch"), r.get("execution_provider"),
                r.get("bench_pipeline_images_per_second"), r.get("frame_codec"),
                r.get("offline_from_jpeg_images_per_second"), r.get("capacity_images_per_second"),
                r.get("capacity_to_bench_pipeline"), cameras == null ? 5 : cameras, cameraFps, r.get("latency_ms_p50"),
                r.get("latency_ms_p99"), r.get("consumer_lag_max"), json);
        return 0;
    }

    private int scaleOut() throws Exception {
        if (instances < 2) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--instances must be at least 2, to compare with one instance; got " + instances);
        }
        if (brokers != 1 && brokers != 3) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--brokers must be 1 or 3; got " + brokers);
        }
        Map<String, Object> r;
        Path manifest = EngineOptions.locate(engine.backbone);
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            int d = engine.features != null ? engine.features
                    : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
            r = dev.vigil.bench.ScaleBenchmark.run(backbone, new dev.vigil.bench.ScaleBenchmark.Options(manifest,
                    engine.device, engine.preprocessing(backbone.manifest()), d, engine.batch,
                    java.time.Duration.ofMillis(lingerMs), cameras == null ? 6 : cameras, instances, warmUp,
                    warmUpRounds, backlog, cameraFps, brokers, frameCodec.codec(), engine.seed,
                    workDir.resolve("scale-out"), serveArgs == null || serveArgs.isBlank() ? java.util.List.of()
                            : java.util.List.of(serveArgs.trim().split("\\s+")), java.util.List.of()));
        }
        write(r);
        spec.commandLine().getOut().printf("%s %s d=%s batch %s on %s, %d cameras: one instance %.1f img/s; %d instances "
                        + "%.1f img/s in all (%.2fx one), %.1f img/s each; failover of %s: first map from a survivor "
                        + "%s ms after the kill (read %s ms after), %s frames lost, %s scored twice; model decode %s "
                        + "ms; %s%n", r.get("backbone"), r.get("input_size"), r.get("features"), r.get("batch"),
                r.get("execution_provider"), ((java.util.List<?>) r.get("camera_ids")).size(),
                r.get("capacity_one_instance"), instances, r.get("capacity_all_instances"), r.get("capacity_ratio"),
                r.get("capacity_per_instance"), failover(r, "failover_cameras_moved"),
                failover(r, "failover_scored_ms_max"), failover(r, "failover_read_ms_max"),
                failover(r, "failover_frames_lost"), failover(r, "failover_frames_scored_twice"),
                r.get("model_decode_ms"), json);
        return 0;
    }

    private Object failover(Map<String, Object> r, String key) {
        return ((Map<?, ?>) r.get(instances + "_instances")).get(key);
    }

    private int learning() throws Exception {
        Map<String, Object> r;
        try (OnnxBackbone backbone = engine.loadBackbone()) {
            int d = engine.features != null ? engine.features
                    : FitOptions.defaultFeatures(backbone.manifest().totalChannels());
            r = dev.vigil.bench.LearningBenchmark.run(backbone, new dev.vigil.bench.LearningBenchmark.Options(
                    engine.preprocessing(backbone.manifest()), d, engine.batch, learnFrames, frameCodec.codec(),
                    engine.seed, workDir, brokerDir, rounds));
        }
        write(r);
        var out = spec.commandLine().getOut();
        out.printf("%s %s d=%s on %s: bench backbone %.1f img/s (batch %s)%n", r.get("backbone"), r.get("input_size"),
                r.get("features"), r.get("execution_provider"), r.get("bench_backbone_images_per_second"),
                r.get("bench_batch"));
        for (Object o : (List<?>) r.get("phases")) {
            Map<?, ?> p = (Map<?, ?>) o;
            out.printf("  learnt %s frames from the topic: %.1f img/s end to end (%.2fx the bench backbone), fitting "
                            + "%.1f img/s (%.2fx); live heap while learning %.0f MB%n", p.get("frames"),
                    p.get("images_per_second"), p.get("to_bench_backbone"), p.get("fit_images_per_second"),
                    p.get("fit_to_bench_backbone"),
                    ((Number) p.get("live_heap_above_baseline_bytes")).doubleValue() / 1e6);
        }
        out.printf("accumulator %.0f MB; %s%n", ((Number) r.get("accumulator_bytes")).doubleValue() / 1e6, json);
        return 0;
    }

    private void write(Map<String, Object> result) throws java.io.IOException {
        if (json.toAbsolutePath().getParent() != null) {
            dev.vigil.files.PrivateFiles.createDirectories(json.toAbsolutePath().getParent());
        }
        dev.vigil.files.PrivateFiles.write(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(result));
    }
}
