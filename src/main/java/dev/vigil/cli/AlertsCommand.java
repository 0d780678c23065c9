package dev.vigil.cli;

import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "alerts", mixinStandardHelpOptions = true,
        description = "Print alert records (new, update, end) as JSON lines, as they are on the alerts topic.")
public class AlertsCommand implements Callable<Integer> {
    @Option(names = "--camera", paramLabel = "<id>", description = "Only this camera (default: all)")
    String camera;

    @Option(names = "--from-beginning", description = "From the oldest alert kept, not only new ones")
    boolean fromBeginning;

    @Option(names = "--follow", description = "Keep printing new alerts until stopped (default: exit once caught up)")
    boolean follow;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TopicReader reader = new TopicReader(kafka.connection(), Topics.ALERTS, camera, fromBeginning)) {
            Runtime.getRuntime().addShutdownHook(new Thread(reader::stop, "vigil-alerts-stop"));
            reader.read(follow ? new TopicReader.Until.Forever() : new TopicReader.Until.CaughtUp(), r -> {
                out.println(new String(r.value(), StandardCharsets.UTF_8));
                out.flush();
            }, r -> false);
        }
        return 0;
    }
}
