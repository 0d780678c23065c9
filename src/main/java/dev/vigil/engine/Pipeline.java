package dev.vigil.engine;

import java.util.Iterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Two stages, one batch apart: while the consumer works on batch k (Mahalanobis, maps, or the fit), the producer
 * already runs batch k + 1 (the backbone and the embedding; for scoring also preprocessing). Taking the next input
 * (reading and decoding frames) happens on the calling thread while the producer runs, one input ahead, so the
 * backbone never waits for it. On a GPU the stages overlap fully; on a small CPU both stages share every core.
 */
public final class Pipeline {
    /**
     * Backbone threads, kept a minute once idle: a thread that ran the backbone holds its buffers (the batch's input
     * and outputs, tens of MB, off-heap in part), so consecutive fits and scorings reuse one thread and its buffers
     * instead of leaving a dead thread's behind for the collector. Runs at the same time each get their own thread.
     */
    private static final ExecutorService STAGES = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), new ThreadFactory() {
                private final AtomicInteger count = new AtomicInteger();

                @Override
                public Thread newThread(Runnable r) {
                    Thread t = new Thread(r, "vigil-backbone-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }
            });

    private Pipeline() {
    }

    public static <I, O> void run(Iterator<I> inputs, Function<I, O> producer, Consumer<O> consumer) {
        Future<O> next = null;
        try {
            next = inputs.hasNext() ? submit(producer, inputs.next()) : null;
            while (next != null) {
                // the next input is taken (frames read and decoded) while the producer still runs this batch, so
                // the producer starts the next one as soon as it is done instead of waiting for the decoding
                I input = inputs.hasNext() ? inputs.next() : null;
                O current = await(next);
                next = input != null ? submit(producer, input) : null;
                consumer.accept(current);
            }
        } finally {
            // a failure in either stage leaves at most one batch running: stop it rather than let it finish unseen
            if (next != null) {
                next.cancel(true);
            }
        }
    }

    private static <I, O> Future<O> submit(Function<I, O> producer, I input) {
        return STAGES.submit(() -> producer.apply(input));
    }

    private static <O> O await(Future<O> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
