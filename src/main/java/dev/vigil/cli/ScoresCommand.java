package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "scores", mixinStandardHelpOptions = true,
        description = "Print one JSON line per scored frame: camera, seq, timestamp, score, threshold, anomalous, "
                + "model_version, latency_ms (the anomaly map itself stays on the topic).")
public class ScoresCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--until-idle", paramLabel = "SECONDS",
            description = "Exit after this many seconds without a new score (default: follow until stopped)")
    Double untilIdle;

    @Mixin
    SubscriberOptions subscriber;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TopicReader.Until until = untilIdle == null ? new TopicReader.Until.Forever()
                : new TopicReader.Until.Idle(Duration.ofMillis((long) (untilIdle * 1000)));
        try (TopicReader reader = subscriber.reader(Topics.ANOMALY_MAPS)) {
            reader.read(until, r -> {
                AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("camera", m.camera());
                line.put("seq", m.seq());
                line.put("timestamp", m.timestamp());
                line.put("score", m.score());
                line.put("threshold", m.threshold());
                line.put("anomalous", m.anomalous());
                line.put("model_version", m.modelVersion());
                line.put("source_frame", m.frame().sourceFrame());
                line.put("latency_ms", m.scoredAt() - m.timestamp());
                try {
                    out.println(JSON.writeValueAsString(line));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                out.flush();
            }, r -> false);
        }
        return 0;
    }
}
