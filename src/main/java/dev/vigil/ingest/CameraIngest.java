package dev.vigil.ingest;

import dev.vigil.media.FrameCodec;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.VideoFrame;
import dev.vigil.media.VideoFrames;
import dev.vigil.stream.FrameRecords;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One camera's ingest loop: decode its source with FFmpeg, keep frames at the target rate, and produce them to the
 * frames topic. A source that fails to open, or drops, is reported offline on the camera-status topic and retried
 * with exponential back-off (initial delay doubling up to the maximum), for as long as the loop runs. A file source
 * ends at its last frame. Runs on its own thread, so one camera's failure never stops another's.
 */
public final class CameraIngest implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CameraIngest.class);
    /** FFmpeg options for network sources: TCP for RTSP, and a socket timeout so a dead camera is noticed */
    private static final Map<String, String> NETWORK_OPTIONS = Map.of("rtsp_transport", "tcp", "timeout", "5000000",
            "rw_timeout", "5000000");

    /**
     * @param targetFps frames per second kept (0: every frame)
     */
    public record Settings(String camera, String source, double targetFps, FrameCodec codec, Duration initialBackoff,
                           Duration maxBackoff) {
    }

    private final Settings settings;
    private final Producer<String, byte[]> producer;
    private volatile boolean running = true;
    private long seq;
    private long published;

    public CameraIngest(Settings settings, Producer<String, byte[]> producer) {
        this.settings = settings;
        this.producer = producer;
    }

    public void stop() {
        running = false;
    }

    public long published() {
        return published;
    }

    @Override
    public void run() {
        int attempt = 0;
        long backoff = settings.initialBackoff().toMillis();
        boolean file = isFile(settings.source());
        while (running) {
            attempt++;
            try (VideoFrames frames = VideoFrames.open(settings.source(), file ? Map.of() : NETWORK_OPTIONS)) {
                status("online", null, 0);
                attempt = 0;
                backoff = settings.initialBackoff().toMillis();
                pump(frames);
                if (file || !running) {
                    status("offline", "end of " + (file ? "file" : "stream"), 0);
                    return;
                }
                status("offline", "stream ended", 1);
            } catch (IOException e) {
                LOG.warn("camera {}: {} (attempt {}, retrying in {} ms)", settings.camera(), e.getMessage(), attempt,
                        backoff);
                status("offline", e.getMessage(), attempt);
                if (file && e.getMessage() != null && e.getMessage().contains("file not found")) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("camera {}: {}", settings.camera(), e.toString());
                status("offline", e.toString(), attempt);
            }
            if (!sleep(backoff)) {
                return;
            }
            backoff = Math.min(backoff * 2, settings.maxBackoff().toMillis());
        }
    }

    /** Reads until the source ends or the loop is stopped, keeping frames at the target rate. */
    private void pump(VideoFrames frames) throws IOException {
        long interval = settings.targetFps() > 0 ? (long) (1_000_000 / settings.targetFps()) : 0;
        long nextDue = Long.MIN_VALUE;
        long start = System.currentTimeMillis();
        VideoFrame frame;
        while (running && (frame = frames.read()) != null) {
            if (interval > 0 && frame.timestampMicros() < nextDue) {
                continue;
            }
            nextDue = frame.timestampMicros() + interval - interval / 10;
            FrameRecords.Frame f = new FrameRecords.Frame(settings.camera(), seq++,
                    start + frame.timestampMicros() / 1000, settings.codec().toString(), frame.image().width(),
                    frame.image().height(), settings.source(), frame.index(), settings.codec().encode(frame.image()));
            producer.send(FrameRecords.toRecord(f));
            published++;
        }
        producer.flush();
    }

    private void status(String state, String reason, int attempt) {
        producer.send(new CameraStatus(settings.camera(), state, settings.source(), reason, attempt,
                System.currentTimeMillis()).toRecord());
    }

    private boolean sleep(long millis) {
        try {
            // back-off between reconnection attempts; stop() interrupts it through the thread
            Thread.sleep(millis);
            return running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean isFile(String source) {
        return !source.contains("://") && MediaInputs.isVideo(Path.of(source));
    }
}
