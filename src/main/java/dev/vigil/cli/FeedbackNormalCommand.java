package dev.vigil.cli;

import dev.vigil.stream.Alert;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.FeedbackPublisher;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.RefinementStatus;
import dev.vigil.stream.Topics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;

@Command(name = "normal", mixinStandardHelpOptions = true,
        description = "Confirm that frames of a camera were normal (a false alarm): the scorer adds what they show "
                + "to the camera's patch memory and publishes the model as a new version (provenance refine). At "
                + "most " + Feedback.MAX_FRAMES + " frames at once, still on the frames topic.")
public class FeedbackNormalCommand implements Callable<Integer> {
    @Option(names = "--camera", required = true, paramLabel = "<id>",
            converter = CameraIdConverter.class, description = "Camera id")
    String camera;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Frames frames;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why they were normal, kept with the confirmation "
            + "(one line, at most 500 characters)")
    String reason;

    @Option(names = "--by", paramLabel = "NAME",
            description = "Who confirms, kept with the confirmation (default: this user's login name)")
    String by;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    /** Which frames: an alert's, or a span of sequence numbers. */
    static class Frames {
        @Option(names = "--alert", paramLabel = "<alert id>",
                description = "The frames of this alert of the camera (as `vigil alerts` and the dashboard show its "
                        + "id): its first frame to its last, or the " + Feedback.MAX_FRAMES + " around its peak")
        String alert;

        @ArgGroup(exclusive = false)
        Span span;
    }

    static class Span {
        @Option(names = "--from-seq", required = true, paramLabel = "N",
                description = "Sequence number of the first frame (seq in `vigil scores` and the alerts)")
        long fromSeq;

        @Option(names = "--to-seq", required = true, paramLabel = "N", description = "Of the last frame, included")
        long toSeq;

        @Option(names = "--from", required = true, paramLabel = "TIME",
                description = "Capture time at or before the first frame, ISO-8601 (2026-01-05T06:00:00Z): where the "
                        + "scorer looks for them (sequence numbers restart with ingest)")
        String from;

        @Option(names = "--to", paramLabel = "TIME", description = "Capture time at or after the last frame")
        String to;
    }

    @Override
    public Integer call() throws Exception {
        long now = System.currentTimeMillis();
        String by = this.by != null ? this.by : System.getProperty("user.name", "unknown");
        Feedback feedback;
        KafkaConnection connection;
        if (frames.alert != null) {
            connection = kafka.connection();
            Alert alert = Alert.read(connection, camera, frames.alert).orElseThrow(() -> new IllegalArgumentException(
                    "camera " + camera + " has no alert " + dev.vigil.untrusted.LogText.quote(frames.alert) + " on "
                            + Topics.ALERTS.name() + " (it keeps alerts 30 days by default)"));
            feedback = Feedback.normal(alert, by, reason, now);
        } else {
            Span s = frames.span;
            Instant from = instant("--from", s.from);
            Instant to = s.to == null ? null : instant("--to", s.to);
            // refused here, before any connection, as the scorer would refuse it
            feedback = Feedback.normal(camera, s.fromSeq, s.toSeq, from.toEpochMilli(),
                    to == null ? null : to.toEpochMilli(), null, by, reason, now);
            connection = kafka.connection();
        }
        FeedbackPublisher.send(connection, feedback);
        spec.commandLine().getOut().printf("confirmed frames %d..%d of camera %s as normal%s (confirmation %s on %s)"
                        + "; the scorer refines the camera's model from them and reports on %s, key %s%n",
                feedback.fromSeq(), feedback.toSeq(), camera, feedback.alert() == null ? "" : ", alert "
                        + feedback.alert(), feedback.id(), Topics.FEEDBACK.name(), Topics.CAMERA_STATUS.name(),
                RefinementStatus.key(camera));
        return 0;
    }

    private static Instant instant(String option, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant such as 2026-01-05T06:00:00Z, "
                    + "got " + dev.vigil.untrusted.LogText.quote(text));
        }
    }
}
