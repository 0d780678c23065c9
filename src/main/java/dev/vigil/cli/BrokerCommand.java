package dev.vigil.cli;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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

    @Mixin
    RetentionOptions retention;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var topicRetention = retention.retention();
        EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "vigil-broker-shutdown"));
        List<String> created = Topics.ensure(broker.connection(), topicRetention);
        spec.commandLine().getOut().printf("Kafka broker on %s (data in %s); topics created: %s; Ctrl-C stops it%n",
                broker.bootstrap(), dataDir, created.isEmpty() ? "none, all existed" : String.join(", ", created));
        spec.commandLine().getOut().flush();
        broker.awaitShutdown();
        return 0;
    }
}
