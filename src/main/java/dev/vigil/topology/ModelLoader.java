package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.integrity.FileDigests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Verifies and decodes reassembled model files on a thread of its own: checking and decoding a 2 GB model takes
 * seconds, which the stream thread must not spend inside a transaction (Kafka aborts transactions that stay open
 * longer than their timeout). The camera keeps scoring with its previous model meanwhile.
 */
final class ModelLoader implements AutoCloseable {
    private final ScoringEngine engine;
    private final ScoringStats stats;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vigil-model-loader");
        t.setDaemon(true);
        return t;
    });

    ModelLoader(ScoringEngine engine, ScoringStats stats) {
        this.engine = engine;
        this.stats = stats;
    }

    /**
     * Checks the file's sha256, then has the engine load it; the file is deleted either way.
     *
     * @return the model, or a failure naming the camera, the version and the check that failed
     */
    CompletableFuture<CameraModel> load(String camera, long version, ModelStore.Assembled assembled) {
        return CompletableFuture.supplyAsync(() -> {
            Path file = assembled.file();
            try {
                String actual = FileDigests.sha256(file);
                if (!actual.equalsIgnoreCase(assembled.sha256())) {
                    throw new IOException("model for camera " + camera + " version " + version
                            + " refused: checksum mismatch after reassembly (sha256 " + actual + ", expected "
                            + assembled.sha256() + ")");
                }
                long start = System.nanoTime();
                CameraModel model = engine.load(camera, version, file);
                stats.modelLoad(System.nanoTime() - start);
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file in the state directory; the next assembly uses a new name
                }
            }
        }, thread);
    }

    /** The reason of a failed load, for logs and dead letters. */
    static String reason(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
