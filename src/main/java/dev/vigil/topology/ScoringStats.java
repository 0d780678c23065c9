package dev.vigil.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one scoring instance has done since it started: counters the service logs periodically, and the
 * capture-to-output latency of recent frames. Thread-safe. Everything is also published as Micrometer meters
 * (Prometheus names in docs/operations.md) on the registry it is given; with none, the meters go nowhere.
 */
public final class ScoringStats {
    private static final int LATENCY_WINDOW = 8192;
    /** "camera" tag of the per-camera meters */
    public static final String CAMERA_TAG = "camera";

    final LongAdder scored = new LongAdder();
    final LongAdder deadLetters = new LongAdder();
    final LongAdder noModel = new LongAdder();
    final LongAdder skippedLate = new LongAdder();
    final LongAdder alertsOpened = new LongAdder();
    final LongAdder modelsLoaded = new LongAdder();
    final LongAdder modelsRefused = new LongAdder();
    final LongAdder modelsLearnt = new LongAdder();
    final LongAdder modelsRefined = new LongAdder();
    final LongAdder shadowsLoaded = new LongAdder();
    /** dead letters Kafka refused to take ({@link DeadLetterWriteHandler}): skipped, so counted apart */
    final LongAdder deadLettersLost = new LongAdder();
    /** frames refused before scoring, by reason: a fixed set of labels, whatever the keys were */
    private final Map<FrameRefusal, LongAdder> refused = new java.util.EnumMap<>(FrameRefusal.class);
    private final Map<String, LongAdder> noModelByCamera = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> scoredByCamera = new ConcurrentHashMap<>();
    /** the cameras whose decoded model this instance holds now (CameraModels keeps it) */
    final java.util.Set<String> modelsHeld = ConcurrentHashMap.newKeySet();
    private final long[] latencies = new long[LATENCY_WINDOW];
    private final AtomicLong latencyCount = new AtomicLong();
    private final MeterRegistry registry;
    private final Map<String, Counter> framesIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> framesOut = new ConcurrentHashMap<>();
    private final Timer scoringLatency;
    private final Timer captureLatency;
    private final Timer modelLoad;
    private final DistributionSummary batchSize;

    /** Meters to nowhere: for callers that only read the counters. */
    public ScoringStats() {
        this(new CompositeMeterRegistry());
    }

    public ScoringStats(MeterRegistry registry) {
        this.registry = registry;
        FunctionCounter.builder("vigil.alerts.raised", alertsOpened, LongAdder::sum)
                .description("alerts opened (new records on vigil.alerts)").register(registry);
        FunctionCounter.builder("vigil.dead.letters", deadLetters, LongAdder::sum)
                .description("frames and model chunks sent to vigil.dead-letters").register(registry);
        FunctionCounter.builder("vigil.frames.without.model", noModel, LongAdder::sum)
                .description("frames of cameras with no model, not scored").register(registry);
        FunctionCounter.builder("vigil.frames.skipped.late", skippedLate, LongAdder::sum)
                .description("live frames older than --max-live-age on arrival, skipped").register(registry);
        FunctionCounter.builder("vigil.dead.letters.lost", deadLettersLost, LongAdder::sum)
                .description("dead letters the broker refused, skipped so as not to stall the stream").register(registry);
        for (FrameRefusal reason : FrameRefusal.values()) {
            LongAdder n = new LongAdder();
            refused.put(reason, n);
            FunctionCounter.builder("vigil.frames.refused", n, LongAdder::sum).tag("reason", reason.label())
                    .description("frames sent to dead letters before scoring, by reason").register(registry);
        }
        FunctionCounter.builder("vigil.models.loaded", modelsLoaded, LongAdder::sum).register(registry);
        FunctionCounter.builder("vigil.models.refused", modelsRefused, LongAdder::sum).register(registry);
        FunctionCounter.builder("vigil.models.learnt", modelsLearnt, LongAdder::sum)
                .description("models this instance learnt from cameras' streams and published").register(registry);
        FunctionCounter.builder("vigil.models.refined", modelsRefined, LongAdder::sum)
                .description("models this instance refined from frames operators confirmed as normal and published")
                .register(registry);
        scoringLatency = Timer.builder("vigil.scoring.latency")
                .description("frame taken from Kafka to its anomaly map emitted (queue, batch, backbone, Gaussians)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        captureLatency = Timer.builder("vigil.capture.latency")
                .description("live frames: capture time to anomaly map emitted")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        modelLoad = Timer.builder("vigil.model.load")
                .description("checking and decoding a reassembled model file").register(registry);
        batchSize = DistributionSummary.builder("vigil.batch.size").description("frames per backbone batch")
                .baseUnit("frames").publishPercentileHistogram().minimumExpectedValue(1.0)
                .maximumExpectedValue(1024.0).register(registry);
    }

    /** A frame refused before scoring (it also counts as a dead letter). */
    void refuse(FrameRefusal reason) {
        refused.get(reason).increment();
    }

    public long refused(FrameRefusal reason) {
        return refused.get(reason).sum();
    }

    void deadLetterLost() {
        deadLettersLost.increment();
    }

    public long deadLettersLost() {
        return deadLettersLost.sum();
    }

    /** A frame of this camera taken from the frames topic. */
    void frameIn(String camera) {
        framesIn.computeIfAbsent(camera, c -> Counter.builder("vigil.frames.in").tag(CAMERA_TAG, c)
                .description("frames taken from vigil.frames").register(registry)).increment();
    }

    /** A frame of this camera scored, its map emitted after {@code nanos} since it was taken. */
    void frameOut(String camera, long nanos) {
        framesOut.computeIfAbsent(camera, c -> Counter.builder("vigil.frames.out").tag(CAMERA_TAG, c)
                .description("anomaly maps written to vigil.anomaly-maps").register(registry)).increment();
        scoringLatency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void modelLoad(long nanos) {
        modelLoad.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** The size of one backbone batch (the engine's batch listener). */
    public void batch(int frames) {
        batchSize.record(frames);
    }

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
        captureLatency.record(Math.max(0, millis), java.util.concurrent.TimeUnit.MILLISECONDS);
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

    /** Versions published by refining a model from operators' confirmations ({@link FeedbackProcessor}). */
    public long modelsRefined() {
        return modelsRefined.sum();
    }

    /** Candidate versions loaded to be scored in shadow. */
    public long shadowsLoaded() {
        return shadowsLoaded.sum();
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
        return String.format("scored %d, dead letters %d (lost %d), without model %d, late live frames skipped %d, "
                        + "alerts %d, models loaded %d / refused %d / learnt %d, live latency p50 %d ms p99 %d ms",
                scored(), deadLetters(), deadLettersLost(), noModel(), skippedLate(), alertsOpened(), modelsLoaded(), modelsRefused(), modelsLearnt(), latencyPercentile(50),
                latencyPercentile(99));
    }
}
