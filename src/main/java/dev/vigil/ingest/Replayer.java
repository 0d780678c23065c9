package dev.vigil.ingest;

import dev.vigil.media.FrameCodec;
import dev.vigil.media.VideoFrame;
import dev.vigil.media.VideoFrames;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Replays recorded footage into {@link Topics#FRAMES} through the same records a live camera produces: capture
 * times from the video's own timestamps (offset to the replay's start), sequence numbers from 0, an idempotent
 * producer, and every send acknowledged before it returns, so nothing is silently dropped.
 */
public final class Replayer {
    private Replayer() {
    }

    /**
     * @param speed playback speed relative to the video's frame times; 0 for as fast as the broker takes frames
     * @return frames published
     */
    public static long replay(KafkaConnection kafka, String camera, String source, FrameCodec codec, double speed)
            throws IOException, InterruptedException {
        dev.vigil.untrusted.CameraId.require(camera);
        Topics.ensure(kafka);
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong acked = new AtomicLong();
        long seq = 0;
        long startMillis = System.currentTimeMillis();
        long startNanos = System.nanoTime();
        try (VideoFrames frames = VideoFrames.open(source);
             KafkaProducer<String, byte[]> producer = Producers.create(kafka, 8 << 20)) {
            VideoFrame frame;
            while ((frame = frames.read()) != null && failure.get() == null) {
                long offsetMicros = frame.timestampMicros();
                if (speed > 0) {
                    // pace to the video's own clock, scaled
                    long due = startNanos + (long) (offsetMicros * 1000 / speed);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                FrameRecords.Frame f = new FrameRecords.Frame(camera, seq++, startMillis + offsetMicros / 1000,
                        codec.toString(), frame.image().width(), frame.image().height(), source, frame.index(),
                        codec.encode(frame.image()));
                producer.send(FrameRecords.toRecord(f), (meta, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        acked.incrementAndGet();
                    }
                });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IOException("replay of " + source + " for camera " + camera + " stopped: frame "
                    + acked.get() + " of " + seq + " not acknowledged: " + failure.get().getMessage(), failure.get());
        }
        return acked.get();
    }
}
