package dev.vigil.topology;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one scoring instance has done since it started: counters the service logs periodically, and the
 * capture-to-output latency of recent frames. Thread-safe.
 */
public final class ScoringStats {
    private static final int LATENCY_WINDOW = 8192;

    final LongAdder scored = new LongAdder();
    final LongAdder deadLetters = new LongAdder();
    final LongAdder noModel = new LongAdder();
    final LongAdder skippedLate = new LongAdder();
    final LongAdder alertsOpened = new LongAdder();
    final LongAdder modelsLoaded = new LongAdder();
    final LongAdder modelsRefused = new LongAdder();
    private final Map<String, LongAdder> noModelByCamera = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> scoredByCamera = new ConcurrentHashMap<>();
    /** the cameras whose decoded model this instance holds now (CameraModels keeps it) */
    final java.util.Set<String> modelsHeld = ConcurrentHashMap.newKeySet();
    private final long[] latencies = new long[LATENCY_WINDOW];
    private final AtomicLong latencyCount = new AtomicLong();

    /** @return frames of this camera seen without a model so far */
    long noModel(String camera) {
        noModel.increment();
        LongAdder n = noModelByCamera.computeIfAbsent(camera, c -> new LongAdder());
        n.increment();
        return n.sum();
    }

    void scored(String camera) {
        scored.increment();
        scoredByCamera.computeIfAbsent(camera, c -> new LongAdder()).increment();
    }

    void latency(long millis) {
        long i = latencyCount.getAndIncrement();
        latencies[(int) (i % LATENCY_WINDOW)] = millis;
    }

    public long scored() {
        return scored.sum();
    }

    public long deadLetters() {
        return deadLetters.sum();
    }

    public long noModel() {
        return noModel.sum();
    }

    public long skippedLate() {
        return skippedLate.sum();
    }

    public long alertsOpened() {
        return alertsOpened.sum();
    }

    public long modelsLoaded() {
        return modelsLoaded.sum();
    }

    public long modelsRefused() {
        return modelsRefused.sum();
    }

    /**
     * Latency percentile (0-100) over the most recent live frames, capture time to anomaly-map record; -1 when
     * none.
     */
    public long latencyPercentile(double percentile) {
        int n = (int) Math.min(latencyCount.get(), LATENCY_WINDOW);
        if (n == 0) {
            return -1;
        }
        long[] copy = Arrays.copyOf(latencies, n);
        Arrays.sort(copy);
        int rank = (int) Math.ceil(percentile / 100 * n) - 1;
        return copy[Math.max(0, Math.min(n - 1, rank))];
    }

    public Map<String, Long> noModelByCamera() {
        Map<String, Long> out = new TreeMap<>();
        noModelByCamera.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Frames scored per camera since this instance started: which cameras it has scored. */
    public Map<String, Long> scoredByCamera() {
        Map<String, Long> out = new TreeMap<>();
        scoredByCamera.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The cameras whose decoded model this instance holds in memory now. */
    public java.util.SortedSet<String> modelsHeld() {
        return new java.util.TreeSet<>(modelsHeld);
    }

    /** One line for the log. */
    public String summary() {
        return String.format("scored %d, dead letters %d, without model %d, late live frames skipped %d, alerts %d, "
                        + "models loaded %d / refused %d, live latency p50 %d ms p99 %d ms", scored(), deadLetters(),
                noModel(), skippedLate(), alertsOpened(), modelsLoaded(), modelsRefused(), latencyPercentile(50),
                latencyPercentile(99));
    }
}
