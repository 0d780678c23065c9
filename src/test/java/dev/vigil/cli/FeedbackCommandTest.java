package dev.vigil.cli;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.stream.Alert;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Producers;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.testing.VigilRun;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `vigil feedback normal`: what it refuses before sending anything, and the confirmation it sends. */
class FeedbackCommandTest {
    /** nothing listens there: a command that got as far as connecting would fail naming it */
    private static final String NOWHERE = "localhost:9";

    private static VigilRun normal(String... args) {
        List<String> all = new ArrayList<>(List.of("feedback", "normal"));
        all.addAll(List.of(args));
        return VigilRun.of(all.toArray(String[]::new));
    }

    @Test
    void aBadConfirmationIsRefusedWithWhyBeforeAnythingIsSent() {
        String from = "2026-01-05T06:00:00Z";
        VigilRun backwards = normal("--camera", "gate", "--from-seq", "10", "--to-seq", "5", "--from", from,
                "--bootstrap", NOWHERE);
        assertThat(backwards.exit()).as(backwards.toString()).isEqualTo(1);
        assertThat(backwards.err()).contains("vigil feedback normal: ").contains("0 <= from_seq <= to_seq, got 10..5");
        VigilRun tooMany = normal("--camera", "gate", "--from-seq", "0", "--to-seq", "1000", "--from", from,
                "--bootstrap", NOWHERE);
        assertThat(tooMany.exit()).isEqualTo(1);
        assertThat(tooMany.err()).contains("1001 frames: at most " + Feedback.MAX_FRAMES);
        VigilRun badTime = normal("--camera", "gate", "--from-seq", "0", "--to-seq", "10", "--from", "yesterday",
                "--bootstrap", NOWHERE);
        assertThat(badTime.exit()).isEqualTo(1);
        assertThat(badTime.err()).contains("--from must be an ISO-8601 instant").contains("'yesterday'");
        VigilRun longSpan = normal("--camera", "gate", "--from-seq", "0", "--to-seq", "10", "--from", from,
                "--to", "2026-01-05T09:00:00Z", "--bootstrap", NOWHERE);
        assertThat(longSpan.exit()).isEqualTo(1);
        assertThat(longSpan.err()).contains("at most 60 minutes apart");
        VigilRun forged = normal("--camera", "gate", "--from-seq", "0", "--to-seq", "10", "--from", from,
                "--reason", "van\n12:00:00 ERROR \u001b[31mforged", "--bootstrap", NOWHERE);
        assertThat(forged.exit()).isEqualTo(1);
        assertThat(forged.err()).contains("reason must be one line of printable text").doesNotContain("\u001b")
                .doesNotContain("\n12:00");
        // usage errors: the span needs its start time, and is an alert's or a span, not both
        VigilRun noTime = normal("--camera", "gate", "--from-seq", "0", "--to-seq", "10", "--bootstrap", NOWHERE);
        assertThat(noTime.exit()).isEqualTo(2);
        assertThat(noTime.err()).contains("--from");
        VigilRun both = normal("--camera", "gate", "--alert", "gate-1", "--from-seq", "0", "--to-seq", "10",
                "--from", from, "--bootstrap", NOWHERE);
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        VigilRun camera = normal("--camera", "../gate", "--alert", "gate-1", "--bootstrap", NOWHERE);
        assertThat(camera.exit()).isEqualTo(2);
        assertThat(camera.err()).contains("--camera").contains("is not 1 to 64 letters");
    }

    @Test
    void aConfirmationOfASpanOrOfAnAlertGoesToTheFeedbackTopic(@TempDir Path dir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaConnection kafka = broker.connection();
            VigilRun span = normal("--camera", "gate", "--from-seq", "100", "--to-seq", "160", "--from",
                    "2026-01-05T06:00:00Z", "--reason", "the delivery van", "--by", "night shift", "--bootstrap",
                    broker.bootstrap());
            assertThat(span.exit()).as(span.toString()).isZero();
            assertThat(span.out()).contains("confirmed frames 100..160 of camera gate as normal")
                    .contains("gate#refinement");

            Topics.ensure(kafka);
            Alert alert = new Alert("gate-1767600000000", Alert.Type.END, "gate", Alert.LABEL, 1767600000000L,
                    1767600030000L, 1767600031000L, 40, 12, 20, 7, 500, 800, 650, 301, 640, 480, List.of(),
                    new Alert.Sensor("gate", "camera"), new Alert.AnalyticsModule("m", "d", "s", "v"), null);
            try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 1 << 20)) {
                producer.send(new ProducerRecord<>(Topics.ALERTS.name(), "gate", alert.toJson())).get();
            }
            VigilRun ofAlert = normal("--camera", "gate", "--alert", alert.id(), "--bootstrap", broker.bootstrap());
            assertThat(ofAlert.exit()).as(ofAlert.toString()).isZero();
            assertThat(ofAlert.out()).contains("alert " + alert.id());
            VigilRun unknown = normal("--camera", "gate", "--alert", "gate-42", "--bootstrap", broker.bootstrap());
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).contains("camera gate has no alert 'gate-42' on vigil.alerts");

            List<Feedback> sent = new ArrayList<>();
            try (TopicReader reader = new TopicReader(kafka, Topics.FEEDBACK, "gate", true)) {
                reader.read(new TopicReader.Until.CaughtUp(), r -> sent.add(Topics.FEEDBACK.read(r.value())),
                        r -> false);
            }
            assertThat(sent).hasSize(2);
            Feedback first = sent.get(0);
            assertThat(first.camera()).isEqualTo("gate");
            assertThat(first.fromSeq()).isEqualTo(100);
            assertThat(first.toSeq()).isEqualTo(160);
            assertThat(first.fromMillis()).isEqualTo(java.time.Instant.parse("2026-01-05T06:00:00Z").toEpochMilli());
            assertThat(first.toMillis()).isNull();
            assertThat(first.by()).isEqualTo("night shift");
            assertThat(first.reason()).isEqualTo("the delivery van");
            // the alert's 301 frames, one too many: the 300 around its peak, from its start time on
            Feedback second = sent.get(1);
            assertThat(second.alert()).isEqualTo(alert.id());
            assertThat(second.frames()).isEqualTo(Feedback.MAX_FRAMES);
            assertThat(second.fromSeq()).isEqualTo(500);
            assertThat(second.toSeq()).isEqualTo(799);
            assertThat(second.fromMillis()).isEqualTo(alert.startTime());
            assertThat(second.by()).isEqualTo(System.getProperty("user.name"));
        }
    }
}
