package dev.vigil.cli;

import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

// no mixinStandardHelpOptions: its --version (Vigil's) would take the place of this command's --version V
@Command(name = "activate",
        description = "Score a camera with one of its stored model versions (a rollback): writes an activation "
                + "record that the scorer obeys between two frames, without a restart.")
public class ModelActivateCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @Option(names = "--version", required = true, paramLabel = "V", description = "The version, as `model list` shows it")
    long version;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var connection = kafka.connection();
        ModelVersions versions = ModelVersions.read(connection, camera);
        versions.requireComplete(version);
        if (versions.active() == version) {
            spec.commandLine().getOut().printf("version %d of camera %s is already active%n", version, camera);
            return 0;
        }
        ModelPublisher.activate(connection, camera, version);
        spec.commandLine().getOut().printf("asked the scorer to score camera %s with version %d (was %s)%n", camera,
                version, versions.active() < 0 ? "none" : Long.toString(versions.active()));
        return 0;
    }
}
