package dev.vigil.ingest;

import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Topics;
import dev.vigil.testing.LiveSource;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Ingest of a live camera, a real ffmpeg process sending MPEG-TS over UDP: the camera vanishes (ffmpeg killed), ingest
 * notices the silence, reports it offline and retries, and resumes when the camera sends again.
 */
class LiveCameraTest {
    private final List<CameraStatus> statuses = new ArrayList<>();
    private final List<FrameRecords.Frame> frames = new ArrayList<>();
    /** frames whose capture time was later than the moment the test read them */
    private final List<FrameRecords.Frame> fromTheFuture = new ArrayList<>();

    @Test
    void aCameraThatGoesSilentIsReportedOfflineRetriedAndResumedWhenItSendsAgain(@TempDir Path dir) throws Exception {
        assumeTrue(LiveSource.ffmpegOnPath(), "ffmpeg is not on the PATH: this test runs a real ffmpeg as the "
                + "camera (.ci/run installs Debian's package; or apt-get install ffmpeg)");
        Path clip = dir.resolve("door.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(96, 64, 50, 9, -1, -1), 10);
        int port = LiveSource.freeUdpPort();
        String source = "udp://127.0.0.1:" + port;
        Path ffmpegLog = dir.resolve("ffmpeg.log");
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            CameraIngest.Settings door = new CameraIngest.Settings("door", source, 0, FrameCodec.parse("jpeg:85"),
                    Duration.ofMillis(100), Duration.ofMillis(400));
            Topics.ensure(broker.connection());
            try (KafkaConsumer<String, byte[]> consumer = IngestTest.consumer(broker.bootstrap())) {
                try (Ingestor ingestor = Ingestor.start(broker.connection(), List.of(door))) {
                    try (LiveSource camera = LiveSource.udp(clip, port, ffmpegLog)) {
                        pollUntil(consumer, () -> frames.size() >= 20);
                    }
                    // silence: the read times out (5 s), then a reconnection fails for want of a datagram (JavaCV
                    // tries to open twice, 5 s each)
                    pollUntil(consumer, () -> last().state().equals("offline") && last().attempt() >= 1);
                    int framesBefore = frames.size();
                    try (LiveSource camera = LiveSource.udp(clip, port, ffmpegLog)) {
                        pollUntil(consumer, () -> last().state().equals("online")
                                && frames.size() >= framesBefore + 20);
                        // stopped while the camera still sends: the read returns with the next frame, not after
                        // the timeout
                        ingestor.close();
                    }
                    assertThat(ingestor.failed()).isZero();
                }
                pollUntil(consumer, () -> last().reason() != null && last().reason().equals("ingest stopped"));
            }
        }
        assertThat(statuses).extracting(CameraStatus::state).startsWith("online", "offline").endsWith("online",
                "offline");
        List<CameraStatus> offline = statuses.subList(1, statuses.size() - 2);
        assertThat(offline).allSatisfy(s -> {
            assertThat(s.state()).isEqualTo("offline");
            assertThat(s.source()).isEqualTo(source);
        });
        // the drop itself, then one record per failed reconnection, numbered from 1
        assertThat(offline.get(0).reason()).isEqualTo("stream ended");
        assertThat(offline).extracting(CameraStatus::attempt)
                .containsExactlyElementsOf(IntStream.range(0, offline.size()).boxed().toList());
        assertThat(offline.get(1).reason()).contains(source);

        // one ingest session: sequence numbers run on across the reconnection without a gap or a repeat
        assertThat(frames).allSatisfy(f -> {
            assertThat(f.camera()).isEqualTo("door");
            assertThat(f.live()).isTrue();
        });
        assertThat(frames).extracting(FrameRecords.Frame::seq)
                .containsExactlyElementsOf(LongStream.range(0, frames.size()).boxed().toList());
        // the reconnected stream's frames are counted again from the point ingest joined it
        assertThat(frames).extracting(FrameRecords.Frame::sourceFrame).containsSubsequence(0L, 0L);
        assertThat(fromTheFuture).isEmpty();
    }

    private CameraStatus last() {
        return statuses.isEmpty() ? new CameraStatus("", "none", "", null, 0, 0) : statuses.get(statuses.size() - 1);
    }

    private void pollUntil(KafkaConsumer<String, byte[]> consumer, BooleanSupplier done) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            int before = frames.size();
            IngestTest.poll(consumer, statuses, frames);
            long now = System.currentTimeMillis();
            frames.subList(before, frames.size()).stream().filter(f -> f.captureMillis() > now)
                    .forEach(fromTheFuture::add);
            return done.getAsBoolean();
        });
    }
}
