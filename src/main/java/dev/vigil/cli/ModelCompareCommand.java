package dev.vigil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.stream.Alert;
import dev.vigil.stream.ShadowRecord;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare a camera's candidate in shadow with its active model, from their scores of the same "
                + "frames on vigil.shadow: frames above threshold by each, agreement, and alerts each raised.")
public class ModelCompareCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @Option(names = "--json", description = "One JSON object per pair of versions, in an array, instead of a table")
    boolean json;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    /** One active version against one candidate, over the frames both scored. */
    static final class Pair {
        long active;
        long candidate;
        long frames;
        long activeAbove;
        long candidateAbove;
        long both;
        long activeAlerts;
        long candidateAlerts;
        double activeScores;
        double candidateScores;
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;

        void add(ShadowRecord r) {
            frames++;
            activeAbove += r.active().anomalous() ? 1 : 0;
            candidateAbove += r.shadow().anomalous() ? 1 : 0;
            both += r.active().anomalous() && r.shadow().anomalous() ? 1 : 0;
            activeAlerts += opened(r.active().alerts());
            candidateAlerts += opened(r.shadow().alerts());
            activeScores += r.active().score();
            candidateScores += r.shadow().score();
            from = Math.min(from, r.timestamp());
            to = Math.max(to, r.timestamp());
        }

        private static long opened(List<Alert> alerts) {
            return alerts == null ? 0 : alerts.stream().filter(a -> a.type() == Alert.Type.NEW).count();
        }

        Map<String, Object> row() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("active_version", active);
            r.put("candidate_version", candidate);
            r.put("frames", frames);
            r.put("from", java.time.Instant.ofEpochMilli(from).toString());
            r.put("to", java.time.Instant.ofEpochMilli(to).toString());
            r.put("active_above", activeAbove);
            r.put("candidate_above", candidateAbove);
            r.put("both_above", both);
            r.put("agreement", (double) (frames - activeAbove - candidateAbove + 2 * both) / frames);
            r.put("active_alerts", activeAlerts);
            r.put("candidate_alerts", candidateAlerts);
            r.put("active_mean_score", activeScores / frames);
            r.put("candidate_mean_score", candidateScores / frames);
            return r;
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Pair> pairs = new LinkedHashMap<>();
        long[] malformed = {0};
        try (TopicReader reader = TopicReader.partitionOf(kafka.connection(), Topics.SHADOW, camera)) {
            reader.read(new TopicReader.Until.CaughtUp(), rec -> {
                if (!camera.equals(rec.key())) {
                    return;
                }
                ShadowRecord r;
                try {
                    r = ShadowRecord.fromJson(rec.value());
                } catch (IllegalArgumentException e) {
                    malformed[0]++;
                    return;
                }
                Pair p = pairs.computeIfAbsent(r.active().modelVersion() + "/" + r.shadow().modelVersion(), k -> {
                    Pair n = new Pair();
                    n.active = r.active().modelVersion();
                    n.candidate = r.shadow().modelVersion();
                    return n;
                });
                p.add(r);
            }, r -> false);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (malformed[0] > 0) {
            spec.commandLine().getErr().printf("warning: %d records of %s were not shadow records%n", malformed[0],
                    Topics.SHADOW.name());
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        pairs.values().forEach(p -> rows.add(p.row()));
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            return 0;
        }
        if (rows.isEmpty()) {
            out.printf("no frames of camera %s scored in shadow on %s (see `vigil model shadow`)%n", camera,
                    Topics.SHADOW.name());
            return 0;
        }
        String format = "%-14s %-14s %7s %12s %15s %10s %9s %13s %16s%n";
        out.printf(format, "ACTIVE", "CANDIDATE", "FRAMES", "ACTIVE_ABOVE", "CANDIDATE_ABOVE", "AGREEMENT",
                "ACTIVE_AL", "CANDIDATE_AL", "MEAN_SCORE(A/C)");
        for (Map<String, Object> r : rows) {
            out.printf(format, r.get("active_version"), r.get("candidate_version"), r.get("frames"),
                    r.get("active_above"), r.get("candidate_above"), String.format("%.3f", (Double) r.get("agreement")),
                    r.get("active_alerts"), r.get("candidate_alerts"), String.format("%.2f/%.2f",
                            (Double) r.get("active_mean_score"), (Double) r.get("candidate_mean_score")));
        }
        return 0;
    }
}
