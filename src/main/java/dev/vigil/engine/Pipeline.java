package dev.vigil.engine;

import java.util.Iterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Two stages, one batch apart: while the consumer works on batch k (Mahalanobis, maps, or the fit), the producer
 * already runs batch k + 1 (the backbone and the embedding; for scoring also preprocessing). Taking the next input
 * (reading and decoding frames) happens on the calling thread while the producer runs, one input ahead, so the
 * backbone never waits for it. On a GPU the stages overlap fully; on a small CPU both stages share every core.
 */
public final class Pipeline {
    private Pipeline() {
    }

    public static <I, O> void run(Iterator<I> inputs, Function<I, O> producer, Consumer<O> consumer) {
        ExecutorService stage = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vigil-backbone");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<O> next = inputs.hasNext() ? submit(stage, producer, inputs.next()) : null;
            while (next != null) {
                // the next input is taken (frames read and decoded) while the producer still runs this batch, so
                // the producer starts the next one as soon as it is done instead of waiting for the decoding
                I input = inputs.hasNext() ? inputs.next() : null;
                O current = await(next);
                next = input != null ? submit(stage, producer, input) : null;
                consumer.accept(current);
            }
        } finally {
            stage.shutdownNow();
        }
    }

    private static <I, O> Future<O> submit(ExecutorService stage, Function<I, O> producer, I input) {
        return stage.submit(() -> producer.apply(input));
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
