package dev.vigil.cli;

import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.Topics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

// no mixinStandardHelpOptions: its --version (Vigil's) would take the place of this command's --version V
@Command(name = "shadow",
        description = "Score a camera with a candidate version beside its active model: the candidate's scores and "
                + "the alerts it would raise go to vigil.shadow (see `model compare`), never to the alerts "
                + "topic. `model activate` promotes it; --stop ends it.")
public class ModelShadowCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static class Which {
        @Option(names = "--version", paramLabel = "V", description = "The candidate, as `model list` shows it")
        Long version;

        @Option(names = "--stop", description = "Stop scoring the camera's candidate")
        boolean stop;
    }

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var connection = kafka.connection();
        ModelVersions versions = ModelVersions.read(connection, camera);
        if (which.stop) {
            ModelPublisher.shadow(connection, camera, 0);
            spec.commandLine().getOut().printf("asked the scorer to stop shadowing camera %s's %s%n", camera,
                    versions.shadow() < 0 ? "candidate (it had none)" : "version " + versions.shadow());
            return 0;
        }
        long version = which.version;
        versions.requireComplete(version);
        if (versions.active() == version) {
            throw new IllegalArgumentException("version " + version + " of camera " + camera + " is the active one: "
                    + "a shadow is a candidate beside it");
        }
        ModelPublisher.shadow(connection, camera, version);
        spec.commandLine().getOut().printf("asked the scorer to score camera %s with version %d beside version %s; "
                + "results on %s%n", camera, version, versions.active() < 0 ? "none" : versions.active(),
                Topics.SHADOW.name());
        return 0;
    }
}
