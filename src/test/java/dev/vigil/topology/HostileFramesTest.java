package dev.vigil.topology;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.media.CraftedImages;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.FrameRecords;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.TestModels;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile-input battery, without a broker: records written straight onto the frames topic as an attacker would.
 * Each bad record becomes one dead letter with its reason, and the good camera's frames, interleaved with them, are
 * all scored, in order, once; what the instance holds per camera does not grow with the junk.
 */
class HostileFramesTest {
    private static final int W = 160;
    private static final int H = 128;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, -1, -1);
    @TempDir
    static Path dir;
    private static OnnxBackbone backbone;
    private static Path modelFile;
    private static byte[] good;
    /** 2 MB of all-zero PNG declaring 26000 x 26000 pixels: 2 GB of RGB, were it decoded */
    private static final byte[] PNG_BOMB = CraftedImages.blackPng(26000, 26000);

    @BeforeAll
    static void fit() throws Exception {
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        modelFile = TestModels.fit(backbone, IntStream.range(0, 40).mapToObj(SCENE::frame).toList(), W, H, 40, 10,
                "gate", dir.resolve("gate.vgm"));
        good = FrameCodec.parse("jpeg:90").encode(SCENE.frame(50));
    }

    @AfterAll
    static void close() {
        backbone.close();
    }

    private static FrameRecords.Frame frame(String camera, long seq, byte[] image) {
        return new FrameRecords.Frame(camera, seq, System.currentTimeMillis(), "jpeg:90", W, H, "test", seq, image);
    }

    private static RecordHeaders headers(String... nameValues) {
        RecordHeaders h = new RecordHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    private static RecordHeaders validHeaders() {
        return headers("vigil.seq", "0", "vigil.codec", "jpeg:90", "vigil.width", "" + W, "vigil.height", "" + H,
                "vigil.source", "test", "vigil.source.frame", "0");
    }

    @Test
    void everyBadRecordIsADeadLetterWithItsReasonAndTheGoodCameraLosesNothing() throws Exception {
        try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5));
             ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, dir.resolve("state-battery"))) {
            scorer.publish("gate", modelFile, 1);
            Random random = new Random(7);
            byte[] noise = new byte[5000];
            random.nextBytes(noise);
            String forged = "gate\n12:00:00.000 ERROR Vigil - \u001b[31mbroker lost\u001b[0m";
            RecordHeaders noWidth = validHeaders();
            noWidth.remove("vigil.width");
            List<Runnable> hostile = List.of(
                    () -> scorer.rawFrame(forged, good, validHeaders()),
                    () -> scorer.rawFrame("k".repeat(100_000), good, validHeaders()),
                    () -> scorer.rawFrame(null, good, validHeaders()),
                    () -> scorer.rawFrame("gate", good, noWidth),
                    () -> scorer.rawFrame("gate", good, headers("vigil.seq", "0", "vigil.codec", "jpeg:90",
                            "vigil.width", "0", "vigil.height", "" + H, "vigil.source", "t", "vigil.source.frame", "0")),
                    () -> scorer.rawFrame("gate", good, headers("vigil.seq", "0", "vigil.codec", "jpeg:90",
                            "vigil.width", "99999999", "vigil.height", "" + H, "vigil.source", "t",
                            "vigil.source.frame", "0")),
                    () -> scorer.rawFrame("gate", good, headers("vigil.seq", "-4", "vigil.codec", "jpeg:90",
                            "vigil.width", "" + W, "vigil.height", "" + H, "vigil.source", "t",
                            "vigil.source.frame", "0")),
                    () -> scorer.rawFrame("gate", good, headers("vigil.seq", "0", "vigil.codec", "gif",
                            "vigil.width", "" + W, "vigil.height", "" + H, "vigil.source", "t",
                            "vigil.source.frame", "0")),
                    () -> scorer.rawFrame("gate", good, headers("vigil.seq", "0", "vigil.codec", "jpeg:90",
                            "vigil.width", "" + W, "vigil.height", "" + H, "vigil.source", "s".repeat(5000),
                            "vigil.source.frame", "0")),
                    () -> scorer.rawFrame("gate", new byte[0], validHeaders()),
                    () -> scorer.frame(frame("gate", 900, noise)),
                    () -> scorer.frame(frame("gate", 901, Arrays.copyOf(good, good.length / 2))),
                    () -> scorer.frame(new FrameRecords.Frame("gate", 902, System.currentTimeMillis(), "jpeg:90",
                            W * 2, H, "test", 0, good)),
                    // decompression bombs: a 2 MB PNG and a 1 kB JPEG declaring pictures of gigabytes
                    () -> scorer.frame(new FrameRecords.Frame("gate", 903, System.currentTimeMillis(), "png",
                            16000, 16000, "test", 0, PNG_BOMB)),
                    () -> scorer.frame(new FrameRecords.Frame("gate", 904, System.currentTimeMillis(), "jpeg:90",
                            16000, 16000, "test", 0, CraftedImages.withSize(good, 16000, 16000))),
                    // a bomb whose record claims the size the scorer expects
                    () -> scorer.frame(frame("gate", 905, PNG_BOMB)));
            long seq = 0;
            for (Runnable bad : hostile) {
                scorer.frame(frame("gate", seq++, good));
                bad.run();
            }
            scorer.frame(frame("gate", seq++, good));
            long goodFrames = seq;
            scorer.pumpUntil(() -> scorer.mapsRead.size() >= goodFrames
                    && scorer.deadLettersRead.size() >= hostile.size());

            assertThat(scorer.mapsRead).extracting(AnomalyMapRecord::seq)
                    .containsExactlyElementsOf(IntStream.range(0, (int) goodFrames).mapToObj(i -> (long) i).toList());
            assertThat(scorer.deadLettersRead).hasSize(hostile.size());
            List<String> reasons = scorer.deadLettersRead.stream()
                    .map(r -> DeadLetters.header(r.headers(), DeadLetters.REASON)).toList();
            assertThat(reasons.get(0)).contains("camera id 'gate\\n12:00:00.000 ERROR")
                    .doesNotContain("\n").doesNotContain("\u001b");
            assertThat(reasons.get(1)).contains("(100000 chars)");
            assertThat(reasons.get(2)).contains("camera id is missing");
            assertThat(reasons.get(3)).contains("lacks header vigil.width");
            assertThat(reasons.get(4)).contains("vigil.width = 0, outside 1..16384");
            assertThat(reasons.get(5)).contains("vigil.width = 99999999");
            assertThat(reasons.get(6)).contains("vigil.seq = -4");
            assertThat(reasons.get(7)).contains("vigil.codec 'gif'");
            assertThat(reasons.get(8)).contains("5000 characters");
            assertThat(reasons.get(9)).contains("has no image");
            assertThat(reasons.get(10)).contains("frame 900 of camera gate");
            assertThat(reasons.get(11)).contains("frame 901 of camera gate");
            assertThat(reasons.get(12)).contains("frame 902 of camera gate").contains(W * 2 + "x" + H);
            assertThat(reasons.get(13)).contains("frame 903 of camera gate")
                    .contains("PNG frame declares 26000x26000 = 676000000 pixels, above the limit of 8294400");
            assertThat(reasons.get(14)).contains("frame 904 of camera gate").contains("above the limit of 8294400");
            assertThat(reasons.get(15)).contains("frame 905 of camera gate").contains("26000x26000");
            // the junk key's dead letter carries a bounded key, and where the original was
            TestRecord<String, byte[]> longKey = scorer.deadLettersRead.get(1);
            assertThat(longKey.key()).hasSizeLessThanOrEqualTo(DeadLetters.MAX_KEY_CHARS);
            assertThat(DeadLetters.header(longKey.headers(), DeadLetters.OFFSET)).isNotNull();

            assertThat(scorer.stats.refused(FrameRefusal.INVALID_CAMERA)).isEqualTo(3);
            assertThat(scorer.stats.refused(FrameRefusal.MALFORMED)).isEqualTo(7);
            assertThat(scorer.stats.deadLetters()).isEqualTo(hostile.size());
            assertThat(scorer.stats.scoredByCamera()).containsOnlyKeys("gate");
            assertThat(scorer.registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("camera"))
                    .isIn(null, "gate"));
        }
    }

    @Test
    void junkKeysAndNewCamerasBeyondTheLimitDoNotGrowWhatTheInstanceHolds() throws Exception {
        ScoringSettings settings = ScoringSettings.DEFAULT.withLimits(new ScoringSettings.Limits(3, 2));
        try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5));
             ScorerDriver scorer = new ScorerDriver(engine, settings, dir.resolve("state-cap"))) {
            scorer.publish("gate", modelFile, 1);
            scorer.frame(frame("gate", 0, good));
            scorer.pumpUntil(() -> scorer.mapsRead.size() == 1);
            int meters = scorer.registry.getMeters().size();
            // two more cameras fit (frames without a model are counted, not scored); the rest are refused
            for (int i = 0; i < 2000; i++) {
                scorer.frame(frame("junk-" + i, 0, good));
                scorer.rawFrame("junk\u0007" + i, good, validHeaders());
            }
            scorer.frame(frame("gate", 1, good));
            scorer.pumpUntil(() -> scorer.mapsRead.size() == 2 && scorer.deadLettersRead.size() == 3998);
            assertThat(scorer.stats.refused(FrameRefusal.CAMERA_LIMIT)).isEqualTo(1998);
            assertThat(scorer.stats.refused(FrameRefusal.INVALID_CAMERA)).isEqualTo(2000);
            assertThat(scorer.deadLettersRead.stream().map(r -> DeadLetters.header(r.headers(), DeadLetters.REASON)))
                    .anySatisfy(r -> assertThat(r).contains("already scores 3 cameras (--max-cameras)"));
            assertThat(scorer.stats.noModelByCamera()).containsOnlyKeys("junk-0", "junk-1");
            // the two admitted cameras' frame counters, nothing per refused key
            assertThat(scorer.registry.getMeters().size()).isLessThanOrEqualTo(meters + 2);
            assertThat(scorer.mapsRead).extracting(AnomalyMapRecord::seq).containsExactly(0L, 1L);
        }
    }

    @Test
    void aFrameThatKillsTheInstanceIsSkippedAfterTwoDeathsAndNoOtherFrameIsLost() throws Exception {
        Path state = dir.resolve("state-poison");
        byte[] poison = FrameCodec.parse("jpeg:90").encode(SCENE.frame(51));
        // what a frame that exhausts the heap does to the engine; no real frame can since decoding is bounded
        ScoringEngine.FrameDecoder killer = (bytes, width, height) -> {
            if (Arrays.equals(bytes, poison)) {
                throw new OutOfMemoryError("a frame that kills");
            }
            return FrameCodec.decode(bytes, width, height, FrameCodec.DEFAULT_MAX_PIXELS);
        };
        for (int life = 1; life <= 2; life++) {
            try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5)).decodeWith(killer);
                 ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, state)) {
                scorer.publish("gate", modelFile, 1);
                boolean died = false;
                try {
                    scorer.frame(frame("gate", 0, good));
                    scorer.frame(frame("gate", 1, poison));
                    scorer.frame(frame("gate", 2, good));
                    scorer.pumpUntil(() -> engine.failure() != null);
                    scorer.driver.advanceWallClockTime(Duration.ofMillis(20));
                } catch (RuntimeException e) {
                    // the stream thread's end: the engine's failure surfaces from process or the punctuation
                    died = true;
                    assertThat(ScoringService.isFatal(e)).as(e.toString()).isTrue();
                }
                assertThat(engine.failure()).as("life %d", life).isInstanceOf(OutOfMemoryError.class);
                assertThat(died).as("life %d: nothing emitted after the engine failed", life).isTrue();
                // nothing was dead-lettered for it: the frame is not known to be at fault yet
                scorer.read();
                assertThat(scorer.deadLettersRead).isEmpty();
            } catch (RuntimeException closing) {
                // the driver closes a task whose thread failed: what it says is of no interest here
            }
        }
        try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(5)).decodeWith(killer);
             ScorerDriver scorer = new ScorerDriver(engine, ScoringSettings.DEFAULT, state)) {
            scorer.publish("gate", modelFile, 1);
            scorer.frame(frame("gate", 0, good));
            scorer.frame(frame("gate", 1, poison));
            scorer.frame(frame("gate", 2, good));
            scorer.pumpUntil(() -> scorer.mapsRead.size() == 2);
            assertThat(engine.failure()).isNull();
            assertThat(scorer.mapsRead).extracting(AnomalyMapRecord::seq).containsExactly(0L, 2L);
            assertThat(scorer.deadLettersRead).hasSize(1);
            assertThat(DeadLetters.header(scorer.deadLettersRead.get(0).headers(), DeadLetters.REASON))
                    .contains("frame 1 of camera gate (offset 1) was being scored each of the 2 times this "
                            + "instance died");
            assertThat(scorer.deadLettersRead.get(0).value()).isEqualTo(poison);
            assertThat(scorer.stats.refused(FrameRefusal.POISON)).isEqualTo(1);
        }
    }
}
