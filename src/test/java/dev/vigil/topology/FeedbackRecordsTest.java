package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.RefinementStatus;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The feedback topic's records in the scoring topology, without a broker: a confirmation is queued and its outcome
 * reported, whatever the refiner answers or throws; one that is no confirmation goes to dead letters; a scorer that
 * does not refine says so. (A confirmation that outlives its scorer: {@link ScorerRefinementTest}.)
 */
class FeedbackRecordsTest {
    private static OnnxBackbone backbone;
    private static ScoringEngine engine;

    @BeforeAll
    static void start() throws Exception {
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5));
    }

    @AfterAll
    static void stop() throws Exception {
        engine.close();
        backbone.close();
    }

    private static Feedback confirmation(String camera) {
        return Feedback.normal(camera, 10, 20, 1000, null, "gate-1000", "operator", "a van", 2000);
    }

    /** The refinement states written so far for a confirmation, in order. */
    private static List<RefinementStatus> states(ScorerDriver scorer, Feedback f) {
        scorer.read();
        return scorer.statusRead.stream().filter(r -> r.key().equals(RefinementStatus.key(f.camera())))
                .map(r -> RefinementStatus.fromJson(r.value())).filter(s -> s.feedback().equals(f.id())).toList();
    }

    @Test
    void aConfirmationIsQueuedThenReportedAsTheRefinerAnswers(@TempDir Path dir) {
        AtomicInteger calls = new AtomicInteger();
        CameraRefiner refiner = f -> {
            calls.incrementAndGet();
            if (f.camera().equals("broken")) {
                throw new IllegalStateException("the broker went away");
            }
            return f.camera().equals("plain") ? CameraRefiner.Outcome.refused(3, "version 3 has no patch memory")
                    : CameraRefiner.Outcome.published(3, 4, 11, 250, null);
        };
        try (ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, dir, refiner)) {
            Feedback ok = confirmation("gate");
            Feedback plain = confirmation("plain");
            Feedback broken = confirmation("broken");
            for (Feedback f : List.of(ok, plain, broken)) {
                scorer.feedback(f.camera(), f.toJson());
            }
            scorer.pumpUntil(() -> states(scorer, broken).size() == 2);
            assertThat(states(scorer, ok)).extracting(RefinementStatus::state)
                    .containsExactly(RefinementStatus.QUEUED, RefinementStatus.PUBLISHED);
            RefinementStatus published = states(scorer, ok).get(1);
            assertThat(published.version()).isEqualTo(4);
            assertThat(published.baseVersion()).isEqualTo(3);
            assertThat(published.patches()).isEqualTo(250);
            assertThat(published.fromSeq()).isEqualTo(10);
            assertThat(states(scorer, plain).get(1).state()).isEqualTo(RefinementStatus.REFUSED);
            assertThat(states(scorer, plain).get(1).reason()).contains("no patch memory");
            assertThat(states(scorer, broken).get(1).state()).isEqualTo(RefinementStatus.FAILED);
            assertThat(states(scorer, broken).get(1).reason()).isEqualTo("the broker went away");
            assertThat(calls.get()).isEqualTo(3);
            assertThat(scorer.stats.modelsRefined()).isEqualTo(1);
        }
    }

    @Test
    void aRecordThatIsNoConfirmationIsADeadLetterAndAScorerWithoutRefinerSaysSo(@TempDir Path dir) {
        try (ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, dir)) {
            scorer.feedback("gate", "{\"camera\": \"gate\", \"verdict\": \"normal\"".getBytes(StandardCharsets.UTF_8));
            Feedback f = confirmation("gate");
            // keyed by another camera than the one it is about
            scorer.feedback("yard", f.toJson());
            String tooLong = new String(f.toJson(), StandardCharsets.UTF_8).replace("\"to_seq\":20", "\"to_seq\":9999");
            scorer.feedback("gate", tooLong.getBytes(StandardCharsets.UTF_8));
            scorer.feedback("gate", f.toJson());
            scorer.pumpUntil(() -> scorer.deadLettersRead.size() == 3 && !states(scorer, f).isEmpty());
            List<String> reasons = scorer.deadLettersRead.stream()
                    .map(r -> DeadLetters.header(r.getHeaders(), DeadLetters.REASON)).toList();
            assertThat(scorer.deadLettersRead).allSatisfy(r -> assertThat(DeadLetters.header(r.getHeaders(),
                    DeadLetters.KIND)).isEqualTo("feedback"));
            assertThat(reasons.get(0)).contains("feedback record is not valid JSON");
            assertThat(reasons.get(1)).contains("keyed 'yard' is about camera gate");
            assertThat(reasons.get(2)).contains("at most " + Feedback.MAX_FRAMES);
            RefinementStatus refused = states(scorer, f).get(0);
            assertThat(refused.state()).isEqualTo(RefinementStatus.REFUSED);
            assertThat(refused.reason()).contains("does not refine");
        }
    }
}
