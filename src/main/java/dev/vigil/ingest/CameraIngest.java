package dev.vigil.ingest;

import dev.vigil.media.FrameCodec;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.VideoFrame;
import dev.vigil.media.VideoFrames;
import dev.vigil.stream.FrameRecords;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One camera's ingest loop: decode its source with FFmpeg, keep frames at the target rate, and produce them to the
 * frames topic. A source that fails to open, or drops, is reported offline on the camera-status topic and retried
 * with exponential back-off (initial delay doubling up to the maximum), for as long as the loop runs. A network
 * source that goes silent (a UDP sender that stops, a camera that loses power) counts as dropped once nothing has
 * arrived for 5 s. A file source ends at its last frame. Runs on its own thread, so one camera's failure never stops
 * another's.
 *
 * <p>Every send is acknowledged through a callback: {@link #published()} counts the frames the broker acknowledged,
 * {@link #failed()} those it did not. The source is logged and published with its credentials hidden
 * ({@link SourceRedaction}).
 */
public final class CameraIngest implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CameraIngest.class);
    /**
     * FFmpeg options for network sources (FFmpeg 5.1; times in microseconds): TCP for RTSP, and a read timeout so
     * that a camera that goes silent is noticed. {@code timeout} is each protocol's own option: the socket I/O timeout
     * of RTSP and HTTP, and for UDP "no datagram for this long". UDP's open overwrites the generic {@code rw_timeout}
     * with its own {@code timeout} (default 0: wait forever), so {@code rw_timeout} alone would leave a UDP listener
     * blocked for good once its sender is gone; {@code rw_timeout} covers the protocols without a timeout of their
     * own. When it fires, the read fails, FFmpeg drains the decoder and the stream ends: the loop reports the drop
     * and reconnects.
     */
    private static final Map<String, String> NETWORK_OPTIONS = Map.of("rtsp_transport", "tcp", "timeout", "5000000",
            "rw_timeout", "5000000");
    /** The back-off of {@code vigil ingest}: 1 s after a failure, doubling up to 30 s. */
    public static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** after the first failed frame, one in this many is logged: a broker outage fails every frame */
    static final int FAILURE_LOG_EVERY = 100;

    /**
     * @param source    what FFmpeg reads: a URL (its userinfo may hold credentials) or a file path
     * @param targetFps frames per second kept (0: every frame)
     */
    public record Settings(String camera, String source, double targetFps, FrameCodec codec, Duration initialBackoff,
                           Duration maxBackoff) {
        public Settings {
            dev.vigil.untrusted.CameraId.require(camera);
        }

        /** The source as it may be shown: URL credentials hidden. */
        public String redactedSource() {
            return SourceRedaction.redact(source);
        }

        @Override
        public String toString() {
            // records print every component; the source's credentials must not reach a log this way either
            return "Settings[camera=" + camera + ", source=" + redactedSource() + ", targetFps=" + targetFps
                    + ", codec=" + codec + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff + "]";
        }
    }

    private final Settings settings;
    private final String shownSource;
    private final Producer<String, byte[]> producer;
    private volatile boolean running = true;
    /** counted down by {@link #stop}: ends a back-off wait at once, with no interrupt to break a producer call */
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long seq;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Callback frameAcknowledged = this::frameAcknowledged;

    public CameraIngest(Settings settings, Producer<String, byte[]> producer) {
        this.settings = settings;
        this.shownSource = settings.redactedSource();
        this.producer = producer;
    }

    public Settings settings() {
        return settings;
    }

    public void stop() {
        running = false;
        stopped.countDown();
    }

    /** Frames the broker acknowledged. */
    public long published() {
        return published.get();
    }

    /** Frames whose send failed (not acknowledged: broker unreachable, record refused, ...). */
    public long failed() {
        return failed.get();
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
                if (!running) {
                    status("offline", "ingest stopped", 0);
                    return;
                }
                if (file) {
                    status("offline", "end of file", 0);
                    return;
                }
                // no reconnection attempted yet: the attempts that follow are numbered from 1
                LOG.warn("camera {}: stream ended or went silent, reconnecting in {} ms", settings.camera(), backoff);
                status("offline", "stream ended", 0);
            } catch (IOException e) {
                // the decoder's message names the URL it could not open, credentials included
                String reason = SourceRedaction.redact(e.getMessage());
                LOG.warn("camera {}: {} (attempt {}, retrying in {} ms)", settings.camera(), reason, attempt,
                        backoff);
                status("offline", reason, attempt);
                if (file && e.getMessage() != null && e.getMessage().contains("file not found")) {
                    return;
                }
            } catch (RuntimeException e) {
                String reason = SourceRedaction.redact(e.toString());
                LOG.warn("camera {}: {}", settings.camera(), reason);
                status("offline", reason, attempt);
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
        boolean live = !isFile(settings.source());
        VideoFrame frame;
        while (running && (frame = frames.read()) != null) {
            if (interval > 0 && frame.timestampMicros() < nextDue) {
                continue;
            }
            nextDue = frame.timestampMicros() + interval - interval / 10;
            // a live stream's timestamps start anywhere (MPEG-TS at 1.4 s, or hours in when joined late), so its
            // capture time is when the frame was decoded: never ahead of the scorer's clock, which skips late frames
            long capture = live ? System.currentTimeMillis() : start + frame.timestampMicros() / 1000;
            FrameRecords.Frame f = new FrameRecords.Frame(settings.camera(), seq++, capture,
                    settings.codec().toString(), frame.image().width(), frame.image().height(), shownSource,
                    frame.index(), settings.codec().encode(frame.image()), live);
            producer.send(FrameRecords.toRecord(f), frameAcknowledged);
        }
        // every callback has run when flush returns, so published() is final for a file once the loop ends
        producer.flush();
    }

    private void frameAcknowledged(RecordMetadata metadata, Exception e) {
        if (e == null) {
            published.incrementAndGet();
            return;
        }
        long n = failed.incrementAndGet();
        if (n == 1 || n % FAILURE_LOG_EVERY == 0) {
            LOG.warn("camera {}: frame not delivered ({} failed so far, {} delivered): {}", settings.camera(), n,
                    published.get(), SourceRedaction.redact(e.toString()));
        }
    }

    private void status(String state, String reason, int attempt) {
        producer.send(new CameraStatus(settings.camera(), state, shownSource, reason, attempt,
                System.currentTimeMillis()).toRecord(), (metadata, e) -> {
            if (e != null) {
                // rare (one per state change or connection attempt), so each is logged
                LOG.warn("camera {}: status '{}' not delivered: {}", settings.camera(), state,
                        SourceRedaction.redact(e.toString()));
            }
        });
    }

    /** Waits out a back-off; false when the loop was stopped meanwhile. */
    private boolean sleep(long millis) {
        try {
            return !stopped.await(millis, TimeUnit.MILLISECONDS) && running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean isFile(String source) {
        return !source.contains("://") && MediaInputs.isVideo(Path.of(source));
    }
}
