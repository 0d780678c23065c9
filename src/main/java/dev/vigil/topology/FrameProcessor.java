package dev.vigil.topology;

import dev.vigil.engine.Detection;
import dev.vigil.engine.EngineFailedException;
import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.engine.UndecodableFrameException;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.FrameRecords.Frame;
import dev.vigil.stream.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Scores one task's frames, in arrival order. The steps, each in a unit of its own:
 * <ol>
 *   <li>admission: the record's headers and key are checked ({@link FrameRecords#fromParts}), the camera must fit
 *       the instance's limit ({@link CameraAdmission}), and a frame that was in flight each time the instance died
 *       ({@link InFlightJournal}) is taken for poison; a refused record goes to dead letters ({@link DeadLetterSink})
 *       with the reason;</li>
 *   <li>model resolution: the camera's model, loaded from the state store when needed; frames wait, in order, while
 *       it loads ({@link ModelResolution});</li>
 *   <li>scoring: the encoded image goes to the shared engine, which decodes it (bounded by its header) and scores it
 *       off this thread; an undecodable one becomes a dead letter;</li>
 *   <li>ordering: results are emitted in arrival order; a frame is kept in a changelogged buffer store from the moment
 *       it is taken until its result is emitted, in the same transaction, so under exactly-once processing a crash
 *       neither loses a frame nor emits one twice; the store holds each frame's offset, not the frame
 *       ({@link FrameRefetch} re-reads it after a restart);</li>
 *   <li>output: one anomaly-map record per frame, then the alerts, snapshots and shadow comparison
 *       ({@link AlertStage}), and a scene change may start a learning phase ({@link LearningPhases}).</li>
 * </ol>
 * When the engine has failed for good ({@link EngineFailedException}), nothing more is emitted: the exception ends
 * the stream thread, the open transaction is aborted, and the instance reports down and exits
 * ({@link ScoringService}); its frames are scored by the next process.
 */
final class FrameProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(FrameProcessor.class);
    static final String BUFFER = "vigil-frame-buffer";
    static final String ALERT_STATE = "vigil-alert-state";

    /**
     * @param shadow     a candidate's model and its result for the same frame, or null
     * @param takenNanos when the frame was taken (System.nanoTime), for the scoring-latency histogram
     */
    private record Pending(String key, Frame frame, long offset, CompletableFuture<CameraModel> model,
                           CompletableFuture<Detection> result, Shadow shadow, long takenNanos) {
    }

    private record Shadow(CameraModel model, CompletableFuture<Detection> result) {
    }

    private final ScoringTopology.Shared shared;
    private ProcessorContext<String, byte[]> ctx;
    private KeyValueStore<String, byte[]> buffer;
    private ModelResolution models;
    private LearningPhases learning;
    private AlertStage alerts;
    private DeadLetterSink deadLetters;
    private InFlightJournal journal;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    /** what the buffer store held at init: frames to score before anything else */
    private final List<KeyValue<String, byte[]>> toResume = new ArrayList<>();
    private final Set<String> cameras = new HashSet<>();
    private long nextKey;

    FrameProcessor(ScoringTopology.Shared shared) {
        this.shared = shared;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.buffer = context.getStateStore(BUFFER);
        // a re-initialised task may have had its stores rewound (an aborted transaction): read them afresh
        this.alerts = new AlertStage(shared, context, context.getStateStore(ALERT_STATE));
        this.models = new ModelResolution(shared, new ModelStore(context.getStateStore(ModelStore.CHUNKS),
                context.getStateStore(ModelStore.ACTIVE), workDir(context)));
        this.learning = new LearningPhases(shared, context);
        this.deadLetters = new DeadLetterSink(context, shared.stats(), Topics.FRAMES.name());
        this.journal = InFlightJournal.open(journalFile(context));
        toResume.clear();
        try (KeyValueIterator<String, byte[]> it = buffer.all()) {
            it.forEachRemaining(toResume::add);
        }
        context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, t -> {
            resume();
            drain(false);
        });
    }

    /**
     * Frames taken but not emitted before a restart or a move of this task: scored first, in order. Called before
     * the first record or punctuation rather than in {@link #init}, where nothing may be forwarded: a frame taken
     * for poison goes to dead letters at once, and one in flight at a death is scored alone, its result emitted
     * before the next is queued.
     */
    private void resume() {
        if (toResume.isEmpty()) {
            return;
        }
        List<KeyValue<String, byte[]>> left = new ArrayList<>(toResume);
        toResume.clear();
        Map<Long, Frame> frames = FrameRefetch.read(shared.kafka(), ctx.taskId().partition(),
                left.stream().map(kv -> offset(kv.value)).toList());
        for (KeyValue<String, byte[]> kv : left) {
            nextKey = Math.max(nextKey, Long.parseLong(kv.key) + 1);
            long offset = offset(kv.value);
            Frame f = frames.get(offset);
            if (f == null) {
                LOG.error("task {}: frame at offset {} of {} is no longer on the topic (retention): not scored",
                        ctx.taskId(), offset, Topics.FRAMES.name());
                buffer.delete(kv.key);
            } else if (isPoison(offset)) {
                refuse(f.camera(), f.image(), f.captureMillis(), FrameRecords.toRecord(f).headers(),
                        FrameRefusal.POISON, poisonReason(f.camera(), f.seq(), offset), offset);
                buffer.delete(kv.key);
            } else if (!submit(kv.key, f, offset, false)) {
                // counted toward a learning phase when first taken: not again
                buffer.delete(kv.key);
            }
        }
        LOG.info("task {}: resuming {} frames taken before a restart", ctx.taskId(), left.size());
    }

    private static long offset(byte[] ref) {
        return Long.parseLong(new String(ref, StandardCharsets.UTF_8));
    }

    static Path workDir(ProcessorContext<?, ?> context) {
        return context.stateDir().toPath().resolve("vigil-models");
    }

    /**
     * Beside the application's task directories, not in this task's: Kafka Streams wipes a task's directory when it
     * restores it after a crash, which is exactly when the journal is read.
     */
    static Path journalFile(ProcessorContext<?, ?> context) {
        return context.stateDir().toPath().toAbsolutePath().getParent().resolve("vigil-in-flight")
                .resolve(context.taskId() + ".journal");
    }

    @Override
    public void process(Record<String, byte[]> record) {
        resume();
        long offset = ctx.recordMetadata().map(m -> m.offset()).orElse(-1L);
        Frame f;
        try {
            f = FrameRecords.fromParts(record.key(), record.value(), record.timestamp(), record.headers());
        } catch (FrameRecords.InvalidKeyException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), FrameRefusal.INVALID_CAMERA,
                    e.getMessage(), offset);
            return;
        } catch (IllegalArgumentException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), FrameRefusal.MALFORMED,
                    e.getMessage(), offset);
            return;
        }
        if (!shared.admission().admit(f.camera())) {
            refuse(f.camera(), f.image(), f.captureMillis(), record.headers(), FrameRefusal.CAMERA_LIMIT,
                    "frame " + f.seq() + " of camera " + f.camera() + " refused: this instance already scores "
                            + shared.admission().max() + " cameras (--max-cameras)", offset);
            return;
        }
        cameras.add(f.camera());
        if (isPoison(offset)) {
            refuse(f.camera(), f.image(), f.captureMillis(), record.headers(), FrameRefusal.POISON,
                    poisonReason(f.camera(), f.seq(), offset), offset);
            return;
        }
        if (f.live() && ctx.currentSystemTimeMs() - f.captureMillis() > shared.settings().maxLiveAge().toMillis()) {
            shared.stats().skippedLate.increment();
            return;
        }
        shared.stats().frameIn(f.camera());
        String key = String.format("%019d", nextKey++);
        // the frame itself stays on the frames topic: the buffer keeps where it is, for a restart to re-read it
        buffer.put(key, Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        if (!submit(key, f, offset, true)) {
            buffer.delete(key);
        }
        drain(false);
        while (inFlight.size() >= shared.settings().maxInFlight()) {
            drain(true);
        }
    }

    private boolean isPoison(long offset) {
        return offset >= 0 && journal.deaths(offset) >= shared.settings().limits().maxAttempts();
    }

    private String poisonReason(String camera, long seq, long offset) {
        return "frame " + seq + " of camera " + camera + " (offset " + offset + ") was being scored each of the "
                + journal.deaths(offset) + " times this instance died: not scored again, as it may be what kills it";
    }

    /**
     * Queues a frame for decoding and scoring; false when it was dealt with at once (no model). A frame that was in
     * flight when the instance died is scored on its own, with nothing else of this task in flight, so that frames
     * which merely shared its batch are not taken for poison with it.
     *
     * @param learn whether the frame counts toward the camera's learning phase (not when it is taken again)
     */
    private boolean submit(String key, Frame f, long offset, boolean learn) {
        CompletableFuture<CameraModel> model = models.modelFor(f.camera());
        if (learn && model == null && learning.enabled()) {
            // a camera with a model counts toward a learning phase when its result is emitted (in order, in the
            // transaction of its map); one without is never emitted, so it counts here
            learning.observe(f, offset, -1);
        }
        if (model == null) {
            long n = shared.stats().noModel(f.camera());
            if (!learning.learning(f.camera()) && (n == 1 || n % 100 == 0)) {
                LOG.warn("camera {}: no model yet, {} frames not scored (publish one with `vigil model publish`)",
                        f.camera(), n);
            }
            return false;
        }
        boolean suspect = offset >= 0 && journal.deaths(offset) > 0;
        if (suspect) {
            drainAll();
        }
        CompletableFuture<Detection> result;
        try {
            result = models.submit(f, model);
        } catch (EngineFailedException e) {
            throw e;
        } catch (IllegalStateException e) {
            // the engine is closing, or the model was released under us: this frame is not lost, it is reported
            refuse(f, "frame " + f.seq() + " of camera " + f.camera() + " could not be queued: " + e.getMessage(),
                    offset);
            return false;
        }
        journal.taken(offset);
        inFlight.add(new Pending(key, f, offset, model, result, shadow(f), System.nanoTime()));
        if (suspect) {
            drainAll();
        }
        return true;
    }

    /** The frame scored by the camera's candidate in shadow too, or null when it has none. */
    private Shadow shadow(Frame f) {
        CameraModel candidate = shared.shadows().get(f.camera());
        if (candidate == null) {
            return null;
        }
        try {
            return new Shadow(candidate, shared.engine().submit(candidate, f.image(), f.width(), f.height(), f.seq(),
                    f.captureMillis()));
        } catch (IllegalStateException e) {
            // the candidate was released (shadowing ended) under us: this frame is simply not compared
            return null;
        }
    }

    private void drainAll() {
        while (!inFlight.isEmpty()) {
            drain(true);
        }
    }

    /** Emits finished frames in order; with {@code block}, waits for the oldest one first. */
    private void drain(boolean block) {
        while (!inFlight.isEmpty()) {
            Pending p = inFlight.peek();
            if (!p.result().isDone()) {
                if (!block) {
                    return;
                }
                block = false;
                try {
                    p.result().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (ExecutionException e) {
                    // emitted as a dead letter below, unless the engine itself failed
                }
            }
            Throwable failure = failure(p.result());
            if (failure instanceof EngineFailedException fatal) {
                // not this frame's fault: it stays in the buffer and in the journal, for the next process
                throw fatal;
            }
            inFlight.poll();
            emit(p, failure);
            journal.finished(p.offset());
            buffer.delete(p.key());
        }
    }

    /** Why a finished result failed, unwrapped; null when it succeeded. */
    private static Throwable failure(CompletableFuture<Detection> result) {
        if (!result.isCompletedExceptionally()) {
            return null;
        }
        try {
            result.join();
            return null;
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e;
            while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                    && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return cause;
        }
    }

    private void emit(Pending p, Throwable failure) {
        Frame f = p.frame();
        if (failure != null) {
            refuse(f, failure instanceof UndecodableFrameException
                    ? "undecodable frame " + f.seq() + " of camera " + f.camera() + ": " + failure.getMessage()
                    : "scoring frame " + f.seq() + " of camera " + f.camera() + " failed: " + failure, p.offset());
            return;
        }
        Detection d = p.result().join();
        CameraModel model = p.model().join();
        if (learning.learning(f.camera())) {
            learning.observe(f, p.offset(), models.activeVersion(f.camera()));
        }
        double threshold = model.threshold();
        long now = ctx.currentSystemTimeMs();
        AnomalyMapRecord map = new AnomalyMapRecord(f.camera(), f.seq(), f.captureMillis(), d.score(),
                Double.isNaN(threshold) ? null : threshold, d.score() > threshold, model.version(),
                new AnomalyMapRecord.FrameRef(f.width(), f.height(), f.source(), f.sourceFrame(), f.codec()), now,
                AnomalyMapRecord.EncodedMap.encode(d.map(), d.width(), d.height(), model.mapStep()));
        ctx.forward(new Record<>(f.camera(), Topics.ANOMALY_MAPS.write(map), f.captureMillis()),
                ScoringTopology.MAPS_SINK);
        shared.stats().scored(f.camera());
        shared.stats().frameOut(f.camera(), System.nanoTime() - p.takenNanos());
        if (f.live()) {
            // replayed footage carries the video's own clock (ahead of now at --speed 2): no latency to speak of
            shared.stats().latency(now - f.captureMillis());
        }
        List<Alert> raised = alerts.emit(f, d, model);
        if (p.shadow() != null) {
            try {
                alerts.emitShadow(f, d, model, raised, p.shadow().model(), p.shadow().result().get());
            } catch (ExecutionException | InterruptedException e) {
                LOG.debug("camera {}: frame {} not scored in shadow: {}", f.camera(), f.seq(), e.toString());
            }
        }
        for (Alert a : raised) {
            if (a.label().equals(Alert.SCENE_CHANGE)) {
                boolean relearn = a.type() == Alert.Type.NEW && shared.settings().relearnOnSceneChange();
                LOG.warn("camera {}: scene change {} at frame {}{}", a.camera(), a.type() == Alert.Type.NEW
                        ? "detected (most of its last frames above threshold)" : "over", f.seq(),
                        relearn ? ": learning again" : "");
                if (relearn) {
                    learning.start(f, p.offset(), model.version(), "scene change");
                }
            }
        }
    }

    private void refuse(Frame f, String reason, long offset) {
        refuse(f.camera(), f.image(), f.captureMillis(), FrameRecords.toRecord(f).headers(), null, reason, offset);
    }

    /** A dead letter for the frame record at {@code offset} of this task's partition; counted by {@code why}. */
    private void refuse(String key, byte[] value, long timestamp, Headers headers, FrameRefusal why, String reason,
                        long offset) {
        if (why != null) {
            shared.stats().refuse(why);
        }
        deadLetters.send(key, value, timestamp, headers, DeadLetters.Kind.FRAME, reason, Topics.FRAMES.name(),
                ctx.taskId().partition(), offset);
    }

    @Override
    public void close() {
        // frames still in flight stay in the buffer store: the task's next owner scores them. Only when the engine
        // failed were they in flight at a death, to be counted as such on the next start
        if (shared.engine().failure() == null) {
            journal.closedCleanly();
        }
        journal.close();
        inFlight.clear();
        models.close();
        for (String camera : cameras) {
            shared.admission().release(camera);
        }
    }
}
