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
    @Option(names = "--follow", description = "Keep printing new alerts until stopped (default: exit once caught up)")
    boolean follow;

    @Mixin
    SubscriberOptions subscriber;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (TopicReader reader = subscriber.reader(Topics.ALERTS)) {
            reader.read(follow ? new TopicReader.Until.Forever() : new TopicReader.Until.CaughtUp(), r -> {
                out.println(new String(r.value(), StandardCharsets.UTF_8));
                out.flush();
            }, r -> false);
        }
        return 0;
    }
}
