package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Inspect model files, publish them to Kafka, list a camera's versions and activate one.",
        subcommands = {ModelCommand.Info.class, ModelCommand.Publish.class, ModelListCommand.class,
                ModelActivateCommand.class, ModelShadowCommand.class, ModelCompareCommand.class,
                ModelCalibrateCommand.class, ModelMergeCommand.class})
public class ModelCommand {

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print a model file's header as JSON; --verify also checks the payload checksum.")
    static class Info implements Callable<Integer> {
        @Parameters(paramLabel = "<model>")
        Path model;

        @Option(names = "--verify", description = "Read the whole file and verify the payload checksum")
        boolean verify;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ModelInfo info;
            info = verify ? ModelFile.verify(model) : ModelFile.readInfo(model);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("file", model.toString());
            out.put("verified", verify);
            out.put("backbone", info.backboneName());
            out.put("backbone_sha256", info.backboneSha256());
            out.put("preprocessing", info.preprocessing());
            out.put("input_size", info.inputWidth() + "x" + info.inputHeight());
            out.put("grid_size", info.gridWidth() + "x" + info.gridHeight());
            out.put("features", info.features());
            out.put("seed", info.seed());
            out.put("eps", info.eps());
            out.put("training_frames", info.trainingFrames());
            out.put("frame_score", info.frameScore().toString());
            var m = info.motion();
            out.put("motion", m == null ? null : Map.of("weight", m.weight(), "appearance_scale", m.appearanceScale(),
                    "motion_scale", m.motionScale(), "training_pairs", m.trainingPairs()));
            var r = info.memory();
            out.put("memory", r == null ? null : Map.of("radius", r.radius(), "gate_quantile", r.gateQuantile(),
                    "gate", r.gate(), "appearance_scale", r.appearanceScale(), "memory_scale", r.memoryScale(),
                    "patches_per_row", r.patchesPerRow()));
            out.put("threshold", info.threshold());
            out.put("created", info.created().toString());
            out.put("label", info.label());
            var p = info.provenance();
            out.put("provenance", p == null ? null : Map.of("kind", p.kind(), "camera", String.valueOf(p.camera()),
                    "sources", p.sources(), "frames", p.frames(), "from", String.valueOf(p.from()),
                    "to", String.valueOf(p.to()), "codec", String.valueOf(p.codec()), "sample_fps", p.sampleFps(),
                    "based_on", p.basedOn()));
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(out));
            return 0;
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Verify a model file and put it on the models topic, in chunks, for a camera.")
    static class Publish implements Callable<Integer> {
        @Option(names = "--camera", required = true, paramLabel = "<id>",
                converter = CameraIdConverter.class, description = "Camera id")
        String camera;

        @Option(names = "--model", required = true, paramLabel = "<model>", description = "Model file")
        Path model;

        @picocli.CommandLine.Mixin
        KafkaOptions kafka;

        @Option(names = "--chunk-bytes", paramLabel = "N", defaultValue = "1000000",
                description = "Chunk size, under the broker's record limit (default: ${DEFAULT-VALUE})")
        int chunkBytes;

        @Option(names = "--keep", paramLabel = "N", defaultValue = "3",
                description = "Versions of the camera's model kept on the topic for a rollback, this one included; "
                        + "older ones are tombstoned (default: ${DEFAULT-VALUE})")
        int keep;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // a damaged file is refused here, with the check that failed, before anything is published
            ModelFile.verify(model);
            long version = System.currentTimeMillis();
            int chunks = dev.vigil.stream.ModelPublisher.publish(kafka.connection(), camera, model, version, chunkBytes,
                    keep);
            spec.commandLine().getOut().printf("published %s for camera %s as version %d: %d chunks on %s%n",
                    model, camera, version, chunks, dev.vigil.stream.Topics.MODELS.name());
            return 0;
        }
    }
}
