package dev.vigil.topology;

import dev.vigil.files.PrivateFiles;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A running scoring instance: the {@link ScoringTopology} in Kafka Streams with exactly-once processing. Instances
 * with the same application id share the cameras (partitions) between them.
 *
 * @see Options
 */
public final class ScoringService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScoringService.class);

    /**
     * @param applicationId   the Kafka Streams application id, shared by the instances of one deployment
     * @param stateDir        where this instance keeps its state stores
     * @param threads         stream threads (tasks are spread over them; scoring itself runs on the engine's thread)
     * @param standbyReplicas warm copies of each task's stores on other instances, for fast failover
     * @param exactlyOnce     exactly_once_v2 (default) or at_least_once
     * @param instanceId      this instance's static group membership id ({@code group.instance.id}), stable across
     *                        its restarts, or null for dynamic membership: a static member that restarts within the
     *                        session timeout gets its own partitions back with no rebalance
     * @param sessionTimeout  how long the group waits for a silent instance before its cameras move to the others
     * @param transactionTimeout how long a crashed instance's open transaction holds back its partitions' readers,
     *                        the instance its cameras move to included; a transaction open longer is aborted
     */
    public record Options(String applicationId, Path stateDir, int threads, int standbyReplicas, boolean exactlyOnce,
                          String instanceId, Duration sessionTimeout, Duration transactionTimeout) {
        /** Kafka's own default is 45 s: a camera of a crashed instance would wait that long for a new owner. */
        public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
        /**
         * A failover waits for the dead instance's open transaction to be aborted: 31.9-39.3 s from the kill at 30 s,
         * 17.4-19.8 s at 15 s (docs/results.md). But a transaction stays open while the stream thread waits on a
         * scoring backlog (back-pressure) or writes out a large model's chunks, and one that outlasts the timeout is
         * aborted and redone: at 15 s a loaded machine's shadow scoring never got through (ScoringTopologyTest).
         */
        public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(30);

        public Options(String applicationId, Path stateDir, int threads, int standbyReplicas, boolean exactlyOnce) {
            this(applicationId, stateDir, threads, standbyReplicas, exactlyOnce, null, DEFAULT_SESSION_TIMEOUT,
                    DEFAULT_TRANSACTION_TIMEOUT);
        }

        public static Options defaults(Path stateDir) {
            return new Options("vigil-scorer", stateDir, 1, 0, true);
        }
    }

    private final KafkaStreams streams;
    private io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics clientMetrics;
    private final ScoringStats stats;
    private final ExecutorService learning;

    /** Stream threads replaced within {@link #REPLACEMENT_WINDOW} beyond which the instance gives up. */
    static final int MAX_REPLACEMENTS = 5;
    static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(1);

    private volatile Throwable failure;
    private volatile java.util.function.Consumer<Throwable> failureListener = e -> { };
    private final java.util.ArrayDeque<Long> replacements = new java.util.ArrayDeque<>();

    private ScoringService(KafkaStreams streams, ScoringStats stats, ExecutorService learning) {
        this.streams = streams;
        this.stats = stats;
        this.learning = learning;
    }

    /**
     * What made this instance unfit to go on, or null: an {@link Error} on a stream thread or in the scoring engine,
     * or stream threads failing again and again. A failed instance reports down ({@code /health/live}) and
     * {@code vigil serve} exits non-zero, for its orchestrator to start a new process; frames in flight are scored by
     * that process, except one in flight each time the instance died, which goes to dead letters
     * (docs/operations.md).
     */
    public Throwable failure() {
        return failure;
    }

    /** Tells {@code listener} once when the instance fails ({@link #failure()}); at once if it has. */
    public void onFailure(java.util.function.Consumer<Throwable> listener) {
        failureListener = listener;
        Throwable already = failure;
        if (already != null) {
            listener.accept(already);
        }
    }

    private void fail(Throwable e) {
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = e;
        }
        LOG.error("scoring instance failed and stops: {}", e.toString());
        failureListener.accept(e);
    }

    /** Whether {@code e} leaves the process unfit to go on: an Error or a failed engine anywhere in its causes. */
    static boolean isFatal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Error || t instanceof dev.vigil.engine.EngineFailedException) {
                return true;
            }
        }
        return false;
    }

    /** How a failed stream thread is answered: replaced, unless it is fatal or threads keep failing. */
    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse threadFailed(Throwable e) {
        if (isFatal(e)) {
            fail(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = System.nanoTime();
        int recent;
        synchronized (replacements) {
            replacements.addLast(now);
            while (!replacements.isEmpty() && now - replacements.peekFirst() > REPLACEMENT_WINDOW.toNanos()) {
                replacements.removeFirst();
            }
            recent = replacements.size();
        }
        if (recent > MAX_REPLACEMENTS) {
            fail(new IllegalStateException(recent + " stream threads failed within " + REPLACEMENT_WINDOW.toSeconds()
                    + " s, the last with " + e, e));
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** Creates the topics if needed and starts the topology, learning no model; returns at once. Its meters go nowhere. */
    public static ScoringService start(KafkaConnection kafka, ScoringEngine engine, String backboneName,
                                       ScoringSettings settings, Options options)
            throws IOException, InterruptedException {
        return start(kafka, engine, backboneName, settings, options, null, null);
    }

    /** As {@link #start(KafkaConnection, ScoringEngine, String, ScoringSettings, Options)}, learning with {@code learner}. */
    public static ScoringService start(KafkaConnection kafka, ScoringEngine engine, String backboneName,
                                       ScoringSettings settings, Options options, CameraLearner learner)
            throws IOException, InterruptedException {
        return start(kafka, engine, backboneName, settings, options, learner, null);
    }

    /** As {@link #start(KafkaConnection, ScoringEngine, String, ScoringSettings, Options)}, with its meters on {@code registry}. */
    public static ScoringService start(KafkaConnection kafka, ScoringEngine engine, String backboneName,
                                       ScoringSettings settings, Options options, MeterRegistry registry)
            throws IOException, InterruptedException {
        return start(kafka, engine, backboneName, settings, options, null, registry);
    }

    /**
     * As {@link #start(KafkaConnection, ScoringEngine, String, ScoringSettings, Options)}, learning models with
     * {@code learner} and with its meters on {@code registry}.
     *
     * @param learner  fits the models of cameras that learn ({@link ScoringSettings#autoLearn()}), or null
     * @param registry where its meters go (Vigil's own and the Kafka Streams clients', consumer lag included), or null
     */
    public static ScoringService start(KafkaConnection kafka, ScoringEngine engine, String backboneName,
                                       ScoringSettings settings, Options options, CameraLearner learner,
                                       MeterRegistry registry)
            throws IOException, InterruptedException {
        return start(kafka, engine, backboneName, settings, options, learner, null, registry);
    }

    /**
     * As {@link #start(KafkaConnection, ScoringEngine, String, ScoringSettings, Options, CameraLearner,
     * MeterRegistry)}, refining models from operators' confirmations with {@code refiner}.
     *
     * @param refiner refines a camera's model from the feedback topic's confirmations (on the learning thread, after
     *                any fit queued before), or null: confirmations are refused, with a status saying so
     */
    public static ScoringService start(KafkaConnection kafka, ScoringEngine engine, String backboneName,
                                       ScoringSettings settings, Options options, CameraLearner learner,
                                       CameraRefiner refiner, MeterRegistry registry)
            throws IOException, InterruptedException {
        Topics.ensure(kafka);
        ScoringStats stats = registry == null ? new ScoringStats() : new ScoringStats(registry);
        if (registry != null) {
            engine.onBatch(stats::batch);
        }
        // one fit or refinement at a time: each already takes the backbone's threads, and they rarely come together
        ExecutorService learning = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vigil-learn");
            t.setDaemon(true);
            return t;
        });
        Properties props = properties(kafka, options);
        props.put(DeadLetterWriteHandler.STATS_CONFIG, stats);
        // the state stores hold frames in flight and models: owner-only. Kafka Streams makes the state dir 0750 as
        // it starts, and its task folders and RocksDB files follow the umask, so the root is closed again after it
        PrivateFiles.ownDirectory(options.stateDir());
        KafkaStreams streams = new KafkaStreams(ScoringTopology.build(engine, settings, stats, backboneName, kafka,
                learner, refiner, learning), props);
        PrivateFiles.ownDirectory(options.stateDir());
        ScoringService service = new ScoringService(streams, stats, learning);
        streams.setUncaughtExceptionHandler(service::threadFailed);
        streams.setStateListener((now, before) -> LOG.info("scoring {} -> {}", before, now));
        engine.onFatal(service::fail);
        if (registry != null) {
            service.clientMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics(streams);
            service.clientMetrics.bindTo(registry);
        }
        streams.start();
        return service;
    }

    static Properties properties(KafkaConnection kafka, Options options) {
        Properties p = new Properties();
        Map<String, Object> client = kafka.config();
        p.putAll(client);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, options.applicationId());
        p.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir().toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                options.exactlyOnce() ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, options.threads());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, options.standbyReplicas());
        if (options.instanceId() != null) {
            // Kafka Streams appends each stream thread's index to it
            p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), options.instanceId());
        }
        // a session timeout in --kafka-config wins over the option's default
        if (!client.containsKey(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)) {
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) options.sessionTimeout().toMillis());
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                    (int) Math.max(500, options.sessionTimeout().toMillis() / 5));
        }
        // results are emitted by a 10 ms punctuation: an idle poll must not hold the thread longer than that
        p.put(StreamsConfig.POLL_MS_CONFIG, 10L);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100L);
        // a dead letter that cannot be written is skipped, not retried for ever (DeadLetterWriteHandler)
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterWriteHandler.class);
        // frames and model chunks up to 8 MiB travel in records, changelogs included
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), (8 << 20) + (64 << 10));
        // writing out a 2 GB model's chunks (on the stream thread, inside a transaction) takes seconds; a crashed
        // instance's open transaction holds back readers, and the failover, for at most this long
        p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                (int) options.transactionTimeout().toMillis());
        // a few frames per fetch: a frame is scored in tens of ms, a fetch of 500 would outlive the poll interval
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 100);
        // a cleanly stopped instance leaves the group, so that the others (or its restart) take its cameras at once
        // rather than after --session-timeout; Kafka Streams 4.1 stays in the group by default, and its
        // CloseOptions.leaveGroup only reaches static members. A static member (--instance-id) never leaves on
        // close: back within the session timeout, it gets its cameras again with no rebalance
        p.put(StreamsConfig.consumerPrefix("internal.leave.group.on.close"), true);
        return p;
    }

    public ScoringStats stats() {
        return stats;
    }

    /** The partitions (cameras' partitions) this instance scores now. */
    public java.util.SortedSet<Integer> activePartitions() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
        streams.metadataForLocalThreads().forEach(t -> t.activeTasks().forEach(task -> out.add(task.taskId().partition())));
        return out;
    }

    /** The partitions this instance keeps warm standby copies of. */
    public java.util.SortedSet<Integer> standbyPartitions() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
        streams.metadataForLocalThreads().forEach(t -> t.standbyTasks().forEach(task -> out.add(task.taskId().partition())));
        return out;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        // a fit cut short publishes nothing; its phase is fitted again by whoever scores the camera next
        learning.shutdownNow();
        streams.close(Duration.ofSeconds(30));
        if (clientMetrics != null) {
            clientMetrics.close();
        }
        LOG.info("scoring stopped: {}", stats.summary());
    }
}
