package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.ingest.Replayer;
import dev.vigil.learning.MemoryRefiner;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.SpatialPooling;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.FeedbackPublisher;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.RefinementStatus;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator's loop, against a real broker, backbone and scorer: a camera whose model has a patch memory sees a
 * vehicle cross, which scores high; an operator confirms those frames as normal; the scorer refines the model from
 * them, publishes it as a new version and scores with it; the next vehicle to cross scores far lower, while the
 * footage without one scores as before. A model without a memory, or frames no longer on the topic, are refused
 * with a status that says why, and the scorer goes on; a confirmation still waiting when a scorer stops is refined
 * by the next.
 */
class ScorerRefinementTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final String CAMERA = "lot";
    /** the same walkway and walkers; a vehicle crosses in frames 150..174, and again in 310..334 */
    private static final SyntheticScene FIRST = new SyntheticScene(W, H, 5, 150, 175);
    private static final SyntheticScene SECOND = new SyntheticScene(W, H, 5, 310, 335);
    /** the memory with its row band and gate as the video default, without the motion stream the memory cannot change */
    private static final Scoring MEMORY = new Scoring(new FrameScore(0.02), 0, SpatialPooling.NONE,
            new Scoring.Memory(1, Scoring.DEFAULT_GATE));

    @Test
    void aVehicleConfirmedNormalScoresLowOnceTheRefinedModelIsActive(@TempDir Path dir) throws Exception {
        Preprocessing preprocessing = new Preprocessing(Preprocessing.Mode.RESIZE, W, H);
        Path first = dir.resolve("first.mp4");
        VideoWriter.write(first, IntStream.range(140, 180).mapToObj(FIRST::frame).toList(), 10);
        Path second = dir.resolve("second.mp4");
        VideoWriter.write(second, IntStream.range(300, 340).mapToObj(SECOND::frame).toList(), 10);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            KafkaConnection kafka = broker.connection();
            Path v1 = dir.resolve("v1.vgm");
            try (PadimModel model = new Trainer(bb, preprocessing, new FitOptions(20, 1, 0.01, 16, 10, 500, CAMERA),
                    ThresholdRule.DEFAULT, MEMORY).fit(IntStream.range(0, 120).mapToObj(FIRST::frame).iterator())) {
                assertThat(model.hasMemory()).isTrue();
                ModelFile.write(v1, model);
            }
            ModelPublisher.publish(kafka, CAMERA, v1, 1, 1 << 20);
            double threshold = ModelFile.readInfo(v1).threshold().threshold();
            try (ScoringService service = ScoringService.start(kafka, scoring, "mobilenetv2-l123",
                    ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")), null,
                    new MemoryRefiner(bb, kafka), null)) {
                Replayer.replay(kafka, CAMERA, first.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> before = maps(kafka, "first.mp4", 40);
                // frames 150..174 of the scene are seqs 10..34 of the clip
                assertThat(mean(before, 10, 35)).isGreaterThan(threshold);
                // the next crossing, under the first version
                Replayer.replay(kafka, CAMERA, second.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> unrefined = maps(kafka, "second.mp4", 40);

                // the operator confirms the first crossing
                Feedback confirmed = Feedback.normal(CAMERA, 10, 34, before.get(10).timestamp(),
                        before.get(34).timestamp(), null, "test operator", "the delivery van", System.currentTimeMillis());
                FeedbackPublisher.send(kafka, confirmed);
                RefinementStatus published = status(kafka, confirmed.id(), RefinementStatus.PUBLISHED);
                assertThat(published.baseVersion()).isEqualTo(1);
                assertThat(published.frames()).isEqualTo(25);
                assertThat(published.patches()).isPositive();
                long v2 = published.version();
                await().atMost(Duration.ofSeconds(60)).until(() -> service.stats().modelsLoaded() == 2);
                assertThat(service.stats().modelsRefined()).isEqualTo(1);

                ModelInfo refined = ModelFile.readInfo(ModelVersions.download(kafka, CAMERA, v2, dir.resolve("got")));
                assertThat(refined.provenance().kind()).isEqualTo("refine");
                assertThat(refined.provenance().basedOn()).isEqualTo(1);
                assertThat(refined.provenance().frames()).isEqualTo(25);
                // the threshold and the memory's size are the base version's
                assertThat(refined.threshold().threshold()).isEqualTo(threshold);
                assertThat(refined.memory()).isEqualTo(ModelFile.readInfo(v1).memory());

                // the same next crossing, frame for frame, now under the refined version
                Path again = java.nio.file.Files.copy(second, dir.resolve("second-again.mp4"));
                Replayer.replay(kafka, CAMERA, again.toString(), FrameCodec.parse("png"), 0);
                List<AnomalyMapRecord> after = maps(kafka, "second-again.mp4", 40);
                assertThat(unrefined).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(1));
                assertThat(after).allSatisfy(m -> assertThat(m.modelVersion()).isEqualTo(v2));
                double vehicleBefore = mean(unrefined, 10, 35);
                double vehicleAfter = mean(after, 10, 35);
                System.out.printf("second crossing %.2f (v1) -> %.2f (v2), threshold %.2f; walkway %.2f -> %.2f%n",
                        vehicleBefore, vehicleAfter, threshold, mean(unrefined, 0, 10), mean(after, 0, 10));
                assertThat(vehicleBefore).isGreaterThan(threshold);
                assertThat(vehicleAfter).isLessThan(0.4 * vehicleBefore);
                // the footage without a vehicle scores as it did: the memory's additions forgive, and what they
                // displaced of it is within the coreset's covering radius
                for (int i : IntStream.concat(IntStream.range(0, 10), IntStream.range(35, 40)).toArray()) {
                    assertThat(after.get(i).score()).as("frame %d", i)
                            .isLessThanOrEqualTo(unrefined.get(i).score() + 0.05 * threshold);
                }

                // a camera whose model has no memory: refused, said so, and the scorer goes on
                Path plain = dir.resolve("plain.vgm");
                try (PadimModel model = new Trainer(bb, preprocessing, new FitOptions(20, 1, 0.01, 16, 10, 500, "plain"))
                        .fit(IntStream.range(0, 20).mapToObj(FIRST::frame).iterator())) {
                    ModelFile.write(plain, model);
                }
                ModelPublisher.publish(kafka, "plain", plain, 1, 1 << 20);
                Feedback noMemory = Feedback.normal("plain", 0, 5, 0, null, null, "test operator", null,
                        System.currentTimeMillis());
                FeedbackPublisher.send(kafka, noMemory);
                assertThat(status(kafka, noMemory.id(), RefinementStatus.REFUSED).reason())
                        .contains("version 1 has no patch memory");
                // frames that are not (or no longer) on the topic
                Feedback gone = Feedback.normal(CAMERA, 5000, 5010, before.get(0).timestamp(), null, null,
                        "test operator", null, System.currentTimeMillis());
                FeedbackPublisher.send(kafka, gone);
                RefinementStatus refused = status(kafka, gone.id(), RefinementStatus.REFUSED);
                assertThat(refused.reason()).contains("none of frames 5000..5010 of camera " + CAMERA)
                        .contains("any more");
                assertThat(refused.baseVersion()).isEqualTo(v2);
                assertThat(ModelVersions.read(kafka, CAMERA).complete()).hasSize(2);
            }
        }
    }

    @Test
    void aConfirmationWaitingWhenTheScorerStopsIsRefinedByTheNextOne(@TempDir Path dir) throws Exception {
        Feedback f = Feedback.normal(CAMERA, 10, 20, 1000, null, null, "test operator", null, 2000);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
             OnnxBackbone bb = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             ScoringEngine scoring = new ScoringEngine(bb, 8, Duration.ofMillis(20))) {
            KafkaConnection kafka = broker.connection();
            // a refinement that never ends: the scorer stops while it runs, as one would that was shut down then
            CountDownLatch never = new CountDownLatch(1);
            try (ScoringService service = start(kafka, scoring, dir, feedback -> {
                never.await();
                throw new IllegalStateException("unreachable");
            })) {
                FeedbackPublisher.send(kafka, f);
                statuses(kafka, f.id(), RefinementStatus.QUEUED);
            }
            try (ScoringService service = start(kafka, scoring, dir,
                    feedback -> CameraRefiner.Outcome.unchanged(3, 11, "nothing to add"))) {
                RefinementStatus done = status(kafka, f.id(), RefinementStatus.UNCHANGED);
                assertThat(done.frames()).isEqualTo(11);
                // queued once, by the first scorer: the second took it from its store
                assertThat(statuses(kafka, f.id(), RefinementStatus.UNCHANGED)).extracting(RefinementStatus::state)
                        .containsExactly(RefinementStatus.QUEUED, RefinementStatus.UNCHANGED);
            }
        }
    }

    private static ScoringService start(KafkaConnection kafka, ScoringEngine scoring, Path dir, CameraRefiner refiner)
            throws Exception {
        return ScoringService.start(kafka, scoring, "mobilenetv2-l123", ScoringSettings.DEFAULT,
                ScoringService.Options.defaults(dir.resolve("state")), null, refiner, null);
    }

    /** The refinement states of a confirmation so far, once one is {@code state}. */
    private static List<RefinementStatus> statuses(KafkaConnection kafka, String feedback, String state) {
        List<RefinementStatus> out = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            out.clear();
            ScoringTopologyTest.read(kafka, Topics.CAMERA_STATUS).stream()
                    .filter(r -> r.key().endsWith("#" + RefinementStatus.KIND))
                    .map(r -> RefinementStatus.fromJson(r.value())).filter(s -> s.feedback().equals(feedback))
                    .forEach(out::add);
            return out.stream().anyMatch(s -> s.state().equals(state));
        });
        return out;
    }

    /** The anomaly maps of a clip once all {@code count} are there, in sequence order. */
    private static List<AnomalyMapRecord> maps(KafkaConnection kafka, String source, int count) {
        List<AnomalyMapRecord> out = new ArrayList<>();
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            out.clear();
            ScoringTopologyTest.read(kafka, Topics.ANOMALY_MAPS).stream()
                    .map(r -> AnomalyMapRecord.fromJson(r.value())).filter(m -> m.frame().source().endsWith(source))
                    .forEach(out::add);
            return out.size() >= count;
        });
        out.sort(java.util.Comparator.comparingLong(AnomalyMapRecord::seq));
        return out;
    }

    private static double mean(List<AnomalyMapRecord> maps, int from, int to) {
        return maps.subList(from, to).stream().mapToDouble(AnomalyMapRecord::score).average().orElseThrow();
    }

    /** The refinement status of a confirmation once it reaches {@code state}. */
    private static RefinementStatus status(KafkaConnection kafka, String feedback, String state) {
        RefinementStatus[] found = {null};
        await().atMost(Duration.ofSeconds(180)).until(() -> {
            ScoringTopologyTest.read(kafka, Topics.CAMERA_STATUS).stream()
                    .filter(r -> r.key().endsWith("#" + RefinementStatus.KIND))
                    .map(r -> RefinementStatus.fromJson(r.value())).filter(s -> s.feedback().equals(feedback))
                    .filter(s -> !s.state().equals(RefinementStatus.QUEUED)).forEach(s -> found[0] = s);
            return found[0] != null;
        });
        assertThat(found[0].state()).as(found[0].toString()).isEqualTo(state);
        return found[0];
    }
}
