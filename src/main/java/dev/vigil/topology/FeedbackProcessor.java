package dev.vigil.topology;

import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.RefinementStatus;
import dev.vigil.stream.Topics;
import dev.vigil.untrusted.LogText;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Takes operators' confirmations that a camera's frames were normal from the feedback topic and has the
 * {@link CameraRefiner} refine the camera's model from them, on the learning thread, never on this one; each outcome
 * goes to the status topic ({@link RefinementStatus}) and to the log. A confirmation is kept in a changelogged store
 * from the moment it is taken until its outcome is reported, in the same transaction: a restarted or moved task
 * refines what was waiting again (one cut short by a crash after it published may then publish a second, equal
 * version). A record that is no confirmation goes to dead letters with the reason.
 */
final class FeedbackProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(FeedbackProcessor.class);
    static final String STORE = "vigil-feedback";
    /** confirmations a task holds waiting at most: each one is minutes of the learning thread's time */
    static final int MAX_WAITING = 100;

    private record Waiting(String key, Feedback feedback, CompletableFuture<CameraRefiner.Outcome> outcome) {
    }

    private final ScoringTopology.Shared shared;
    private ProcessorContext<String, byte[]> ctx;
    private KeyValueStore<String, byte[]> store;
    private DeadLetterSink deadLetters;
    private final List<Waiting> waiting = new ArrayList<>();

    FeedbackProcessor(ScoringTopology.Shared shared) {
        this.shared = shared;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.store = context.getStateStore(STORE);
        this.deadLetters = new DeadLetterSink(context, shared.stats(), Topics.FEEDBACK.name());
        waiting.clear();
        List<KeyValue<String, byte[]>> stored = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            it.forEachRemaining(stored::add);
        }
        for (KeyValue<String, byte[]> kv : stored) {
            // it was checked when first taken: a stored one that no longer reads is from an incompatible release
            try {
                Feedback f = Topics.FEEDBACK.read(kv.value);
                LOG.info("camera {}: confirmation {} taken before a restart: refining again", f.camera(), f.id());
                start(kv.key, f);
            } catch (IllegalArgumentException e) {
                LOG.warn("stored confirmation {} dropped: {}", kv.key, e.getMessage());
                store.delete(kv.key);
            }
        }
        context.schedule(Duration.ofMillis(200), PunctuationType.WALL_CLOCK_TIME, t -> report());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        Feedback f;
        try {
            f = Topics.FEEDBACK.read(record.value());
            if (!f.camera().equals(record.key())) {
                throw new IllegalArgumentException("feedback record keyed " + LogText.quote(record.key())
                        + " is about camera " + f.camera() + ": the key must be its camera");
            }
        } catch (IllegalArgumentException e) {
            deadLetters.send(record.key(), record.value(), record.timestamp(), record.headers(),
                    DeadLetters.Kind.FEEDBACK, e.getMessage());
            return;
        }
        long now = ctx.currentSystemTimeMs();
        if (shared.refiner() == null) {
            refuse(f, "this scorer does not refine models (it has no refiner)", now);
            return;
        }
        if (waiting.size() >= MAX_WAITING) {
            refuse(f, "this scorer already has " + MAX_WAITING + " confirmations waiting: send it again later", now);
            return;
        }
        long offset = ctx.recordMetadata().map(m -> m.offset()).orElse(now);
        String key = String.format("%019d", offset);
        store.put(key, record.value());
        LOG.info("camera {}: frames {}..{} confirmed normal by {} ({}): refining its model", f.camera(), f.fromSeq(),
                f.toSeq(), LogText.escape(f.by()), f.id());
        status(RefinementStatus.queued(f, now));
        start(key, f);
    }

    private void start(String key, Feedback f) {
        CameraRefiner refiner = shared.refiner();
        if (refiner == null) {
            // taken by a scorer that refined, restored by one that does not
            waiting.add(new Waiting(key, f, CompletableFuture.completedFuture(CameraRefiner.Outcome.refused(-1,
                    "this scorer does not refine models (it has no refiner)"))));
            return;
        }
        CompletableFuture<CameraRefiner.Outcome> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                return refiner.refine(f);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, shared.learning());
        waiting.add(new Waiting(key, f, outcome));
    }

    /** Reports the confirmations whose refinement ended, in the order they came. Runs on the stream thread. */
    private void report() {
        for (var it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (!w.outcome().isDone()) {
                continue;
            }
            it.remove();
            Feedback f = w.feedback();
            long now = ctx.currentSystemTimeMs();
            CameraRefiner.Outcome o;
            try {
                o = w.outcome().join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                if (stopping(e)) {
                    // the scorer is stopping: the confirmation stays in the store, for the task's next owner
                    LOG.info("camera {}: refinement of confirmation {} cut short by this scorer stopping", f.camera(),
                            f.id());
                    continue;
                }
                store.delete(w.key());
                String reason = reason(e);
                LOG.error("camera {}: refining its model from confirmation {} failed: {}", f.camera(), f.id(), reason);
                status(new RefinementStatus(f.camera(), RefinementStatus.KIND, RefinementStatus.FAILED, f.id(),
                        f.fromSeq(), f.toSeq(), null, null, 0, 0, reason, now));
                continue;
            }
            store.delete(w.key());
            if (RefinementStatus.PUBLISHED.equals(o.state())) {
                shared.stats().modelsRefined.increment();
                LOG.info("camera {}: version {} refined from version {} with {} patches of {} confirmed frames, "
                        + "published{}", f.camera(), o.version(), o.baseVersion(), o.patches(), o.frames(),
                        o.reason() == null ? "" : " (" + o.reason() + ")");
            } else {
                LOG.warn("camera {}: confirmation {} {}: {}", f.camera(), f.id(), o.state(), o.reason());
            }
            status(new RefinementStatus(f.camera(), RefinementStatus.KIND, o.state(), f.id(), f.fromSeq(),
                    f.toSeq(), o.baseVersion(), o.version(), o.frames(), o.patches(), o.reason(), now));
        }
    }

    private void refuse(Feedback f, String reason, long now) {
        LOG.warn("camera {}: confirmation {} refused: {}", f.camera(), f.id(), reason);
        status(new RefinementStatus(f.camera(), RefinementStatus.KIND, RefinementStatus.REFUSED, f.id(), f.fromSeq(),
                f.toSeq(), null, null, 0, 0, reason, now));
    }

    private void status(RefinementStatus s) {
        ctx.forward(new Record<>(RefinementStatus.key(s.camera()), s.toJson(), s.at()), ScoringTopology.STATUS_SINK);
    }

    /** Whether a refinement ended because the learning thread was stopped (the scorer closing), not by itself. */
    private static boolean stopping(Throwable failed) {
        for (Throwable t = failed; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.nio.channels.ClosedByInterruptException
                    || t instanceof java.util.concurrent.CancellationException
                    || t instanceof java.util.concurrent.RejectedExecutionException
                    || t instanceof org.apache.kafka.common.errors.InterruptException) {
                return true;
            }
        }
        return false;
    }

    private static String reason(Throwable failed) {
        Throwable cause = failed;
        while ((cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    @Override
    public void close() {
        // refinements still running finish on the learning thread; their confirmations stay in the store, for the
        // task's next owner to refine and report
        waiting.clear();
    }
}
