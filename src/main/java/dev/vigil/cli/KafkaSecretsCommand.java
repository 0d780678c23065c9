package dev.vigil.cli;

import dev.vigil.access.DeploymentSecrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "kafka-secrets", mixinStandardHelpOptions = true,
        description = "Make a deployment's Kafka certificates and credentials (deploy/): a new authority, the "
                + "brokers' and the administrator's certificates, a SCRAM password per role, and the client "
                + "settings files that carry them, into an owner-only folder. Never commit it.")
public class KafkaSecretsCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "<dir>", description = "Folder to write (made owner-only)")
    Path out;

    @Option(names = "--broker-host", required = true, split = ",", paramLabel = "<name>",
            description = "A name the brokers are reached by, for the broker certificate (repeat, or comma-separated)")
    List<String> brokerHosts;

    @Option(names = "--broker-dir", paramLabel = "<dir>", defaultValue = "/etc/kafka/secrets",
            description = "Where the brokers' containers mount the folder (default: ${DEFAULT-VALUE})")
    String brokerDir;

    @Option(names = "--client-dir", paramLabel = "<dir>", defaultValue = "/etc/vigil/kafka",
            description = "Where Vigil's containers mount the trust store and key stores (default: ${DEFAULT-VALUE})")
    String clientDir;

    @Option(names = "--validity-days", paramLabel = "N", defaultValue = "365",
            description = "How long the certificates are valid (default: ${DEFAULT-VALUE})")
    int validityDays;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (validityDays < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--validity-days must be at least 1");
        }
        DeploymentSecrets.write(out, brokerHosts, brokerDir, clientDir, Duration.ofDays(validityDays));
        // names only: the files hold the passwords
        spec.commandLine().getOut().printf("wrote %s (owner-only): %s%n", out,
                String.join(", ", DeploymentSecrets.files()));
        return 0;
    }
}
