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
    final LongAdder modelsLearnt = new LongAdder();
    private final Map<String, LongAdder> noModelByCamera = new ConcurrentHashMap<>();
    private final long[] latencies = new long[LATENCY_WINDOW];
    private final AtomicLong latencyCount = new AtomicLong();

    /** @return frames of this camera seen without a model so far */
    long noModel(String camera) {
        noModel.increment();
        LongAdder n = noModelByCamera.computeIfAbsent(camera, c -> new LongAdder());
        n.increment();
        return n.sum();
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

    public long modelsLearnt() {
        return modelsLearnt.sum();
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

    /** One line for the log. */
    public String summary() {
        return String.format("scored %d, dead letters %d, without model %d, late live frames skipped %d, alerts %d, "
                        + "models loaded %d / refused %d / learnt %d, live latency p50 %d ms p99 %d ms", scored(), deadLetters(),
                noModel(), skippedLate(), alertsOpened(), modelsLoaded(), modelsRefused(), modelsLearnt(), latencyPercentile(50),
                latencyPercentile(99));
    }
}
