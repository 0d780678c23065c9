package dev.vigil.cli;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run a single-node Kafka broker (KRaft) in this process, with Vigil's topics, until stopped.")
public class BrokerCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "<dir>", defaultValue = "target/kafka",
            description = "Where the broker keeps its logs; reused across restarts (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--port", paramLabel = "<port>", defaultValue = "9092",
            description = "Client port on localhost (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--secure", description = "TLS, SASL (SCRAM-SHA-512) and ACLs: a user and the ACLs of every "
            + "role (see `vigil acl`), with certificates and passwords made for this run; each role's client settings "
            + "are written to <data-dir>/clients/<role>.properties (owner-only), for --kafka-config")
    boolean secure;

    @Option(names = "--mtls-port", paramLabel = "<port>", defaultValue = "-1",
            description = "With --secure, also a mutual-TLS listener on this port (0: any free port), with "
                    + "<data-dir>/clients/<role>-mtls.properties (default: none)")
    int mtlsPort;

    @Mixin
    RetentionOptions retention;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (mtlsPort >= 0 && !secure) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--mtls-port needs --secure");
        }
        var topicRetention = retention.retention();
        EmbeddedBroker broker = secure ? EmbeddedBroker.startSecure(dataDir, port, mtlsPort)
                : EmbeddedBroker.start(dataDir, port);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "vigil-broker-shutdown"));
        // as admin on a secured broker: no role may create topics
        List<String> created = Topics.ensure(broker.connection(), topicRetention);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Kafka broker on %s (data in %s); topics created: %s; Ctrl-C stops it%n",
                broker.bootstrap(), dataDir, created.isEmpty() ? "none, all existed" : String.join(", ", created));
        if (secure) {
            // the paths only: the files hold the passwords
            out.printf("SASL_SSL (SCRAM-SHA-512) on %s%s; client settings (--kafka-config), one per role:%n",
                    broker.bootstrap(), broker.mtlsBootstrap() == null ? ""
                            : ", mutual TLS on " + broker.mtlsBootstrap());
            for (String user : EmbeddedBroker.clientUsers()) {
                out.printf("  %-17s %s%s%n", user, broker.clientConfig(user, false), broker.mtlsBootstrap() == null
                        ? "" : "  " + broker.clientConfig(user, true));
            }
        }
        out.flush();
        broker.awaitShutdown();
        return 0;
    }
}
