package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.FrameContinuity;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scores the frames of many cameras, each with its own model, in batches shared across cameras: callers submit
 * single frames from any thread, one scoring thread gathers them into batches (up to {@code batchSize} frames, or
 * whatever arrived within {@code linger} of the first), runs the backbone once per batch for all frames of models
 * with the same input size and channels, then each camera's Gaussians on its slice of the batch. The backbone of
 * batch k + 1 runs while batch k is post-processed. A GPU gets full batches however the cameras
 * are spread, and the per-frame work is exactly {@link Detector}'s, so streaming and offline scores agree. Unlike
 * {@link Pipeline}, which pulls its next input before finishing the current batch, a batch here is finished as soon
 * as it is embedded: a stream's last frames must not wait for frames that may never come.
 */
public final class ScoringEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScoringEngine.class);

    /**
     * A loaded model of one camera. Reference-counted: the registry that hands it out holds one reference, every
     * submitted frame another, so a model swapped out while frames are in flight is freed after the last of them.
     */
    public static final class CameraModel {
        private final String camera;
        private final long version;
        private final Detector detector;
        /** whether each frame follows the last, for the motion stream (read on the post-processing thread only) */
        private final FrameContinuity continuity = new FrameContinuity();
        private final AtomicInteger refs = new AtomicInteger(1);

        private CameraModel(String camera, long version, Detector detector) {
            this.camera = camera;
            this.version = version;
            this.detector = detector;
        }

        public String camera() {
            return camera;
        }

        public long version() {
            return version;
        }

        public ModelInfo info() {
            return detector.model().info();
        }

        /** The model's default threshold (NaN when it has none). */
        public double threshold() {
            return info().threshold().threshold();
        }

        public Preprocessing preprocessing() {
            return detector.extractor().preprocessing();
        }

        /**
         * A rectangle of the model's input (map pixels) in the pixels of a {@code frameWidth x frameHeight} frame:
         * where an anomalous region's box goes on the frame.
         */
        public int[] toFrame(int x, int y, int width, int height, int frameWidth, int frameHeight) {
            return preprocessing().toFrame(x, y, width, height, frameWidth, frameHeight);
        }

        /** Input pixels per patch-grid cell (layer 1's stride): the resolution worth sending a map at. */
        public int mapStep() {
            return Math.max(1, info().inputWidth() / info().gridWidth());
        }

        void retain() {
            if (refs.getAndIncrement() <= 0) {
                throw new IllegalStateException("model of camera " + camera + " version " + version + " was released");
            }
        }

        /** Drops one reference; the last frees the model's native memory. */
        public void release() {
            if (refs.decrementAndGet() == 0) {
                detector.close();
                detector.model().close();
            }
        }
    }

    private record ExtractorKey(Preprocessing preprocessing, List<Integer> channels) {
    }

    /**
     * A frame to score: decoded already, or {@code encoded} (JPEG/PNG) of the given size, decoded by the engine; its
     * camera's sequence number and capture time (seq -1 when unknown: it follows the frame submitted before it).
     */
    private record Request(CameraModel model, RgbImage frame, byte[] encoded, int width, int height, long seq,
                           long millis, CompletableFuture<Detection> result) {
    }

    /** One backbone run: frames of models sharing an extractor, each model's frames contiguous. */
    private record Group(FeatureExtractor extractor, List<Request> requests, EmbeddingBatch batch) {
    }

    private static final Request END = new Request(null, null, null, 0, 0, -1, 0, null);

    private final OnnxBackbone backbone;
    private final int batchSize;
    private final long lingerNanos;
    private final long maxFramePixels;
    /** the size the image's own header declares is checked against the record's and the limit before decoding */
    private volatile FrameDecoder decoder;
    private final Map<ExtractorKey, FeatureExtractor> extractors = new ConcurrentHashMap<>();
    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final Thread post;
    private final BlockingQueue<List<Group>> handoff = new java.util.concurrent.ArrayBlockingQueue<>(1);
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong frames = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.function.IntConsumer batchListener = n -> { };
    /** what ended the engine for good, or null */
    private volatile Throwable failure;
    private volatile java.util.function.Consumer<Throwable> fatalListener = e -> { };
    /** every result not completed yet, so that a failure completes them all */
    private final java.util.Set<CompletableFuture<Detection>> inFlight = ConcurrentHashMap.newKeySet();

    public ScoringEngine(OnnxBackbone backbone, int batchSize, Duration linger) {
        this(backbone, batchSize, linger, FrameCodec.DEFAULT_MAX_PIXELS);
    }

    /**
     * @param maxFramePixels most pixels an encoded frame may declare: a larger one fails, as an undecodable frame,
     *                       before it is decoded ({@link FrameCodec#decode(byte[], int, int, long)})
     */
    public ScoringEngine(OnnxBackbone backbone, int batchSize, Duration linger, long maxFramePixels) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (maxFramePixels < 1) {
            throw new IllegalArgumentException("max frame pixels must be at least 1, got " + maxFramePixels);
        }
        this.backbone = backbone;
        this.batchSize = batchSize;
        this.lingerNanos = linger.toNanos();
        this.maxFramePixels = maxFramePixels;
        this.decoder = (bytes, width, height) -> FrameCodec.decode(bytes, width, height, maxFramePixels);
        this.worker = new Thread(this::work, "vigil-scoring");
        worker.setDaemon(true);
        this.post = new Thread(this::postProcess, "vigil-scoring-post");
        post.setDaemon(true);
        worker.start();
        post.start();
    }

    /**
     * Loads a model file for a camera, refusing it when it was fitted with another backbone or is damaged
     * ({@link dev.vigil.padim.ModelFileException} names the file and the check).
     */
    public CameraModel load(String camera, long version, Path file) throws IOException {
        PadimModel model = Detector.loadModel(backbone, file);
        ModelInfo info = model.info();
        Preprocessing pre = Detector.preprocessing(info);
        FeatureExtractor extractor = extractors.computeIfAbsent(
                new ExtractorKey(pre, Arrays.stream(info.channelIndices()).boxed().toList()),
                k -> new FeatureExtractor(backbone, pre, info.channelIndices()));
        try {
            return new CameraModel(camera, version, new Detector(extractor, model));
        } catch (RuntimeException e) {
            model.close();
            throw new IOException("model " + file + " for camera " + camera + " refused: " + e.getMessage(), e);
        }
    }

    /**
     * Queues one frame (at any size: it is resized as the model was fitted) and returns its detection when its batch
     * has been scored; the future fails with the reason when scoring it failed.
     */
    public CompletableFuture<Detection> submit(CameraModel model, RgbImage frame) {
        return enqueue(model, frame, null, frame.width(), frame.height(), -1, 0);
    }

    /**
     * As {@link #submit(CameraModel, RgbImage)} for an encoded frame (JPEG or PNG, {@link FrameCodec}), decoded with
     * the other frames of its batch, in parallel, off the caller's thread. A frame that does not decode, or not to
     * {@code width x height}, fails its future with a {@link dev.vigil.media.MediaException} saying why.
     */
    public CompletableFuture<Detection> submit(CameraModel model, byte[] encoded, int width, int height) {
        return enqueue(model, null, encoded, width, height, -1, 0);
    }

    /**
     * As {@link #submit(CameraModel, byte[], int, int)} for a camera's frame with its sequence number and capture
     * time: a model with a motion stream differences it with the camera's previous frame only when it follows that
     * one ({@link FrameContinuity}: the next number, no gap in time), else its motion counts as usual.
     */
    public CompletableFuture<Detection> submit(CameraModel model, byte[] encoded, int width, int height, long seq,
                                               long captureMillis) {
        return enqueue(model, null, encoded, width, height, seq, captureMillis);
    }

    private CompletableFuture<Detection> enqueue(CameraModel model, RgbImage frame, byte[] encoded, int width,
                                                 int height, long seq, long millis) {
        if (failure != null) {
            throw new EngineFailedException("scoring engine failed: " + failure, failure);
        }
        if (closed) {
            throw new IllegalStateException("scoring engine is closed");
        }
        model.retain();
        CompletableFuture<Detection> result = new CompletableFuture<>();
        inFlight.add(result);
        result.whenComplete((d, e) -> inFlight.remove(result));
        queue.add(new Request(model, frame, encoded, width, height, seq, millis, result));
        if (failure != null) {
            // failed between the check above and the queue: fail it rather than leave it waiting for ever
            result.completeExceptionally(new EngineFailedException("scoring engine failed: " + failure, failure));
        }
        return result;
    }

    /** Has {@code listener} told each backbone batch's size (for metrics), on the engine's thread: keep it quick. */
    public void onBatch(java.util.function.IntConsumer listener) {
        batchListener = listener;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Most pixels a submitted encoded frame may declare. */
    public long maxFramePixels() {
        return maxFramePixels;
    }

    /** Mean frames per backbone batch since the engine started. */
    public double meanBatchSize() {
        long b = batches.get();
        return b == 0 ? 0 : (double) frames.get() / b;
    }

    /**
     * The backbone stage, on the worker thread: batches from the queue, embedded, handed to the post-processing
     * thread through a one-slot queue, so the backbone runs one batch ahead and no further.
     */
    private void work() {
        BatchIterator batches = new BatchIterator();
        try {
            while (batches.hasNext()) {
                List<Group> groups = embed(batches.next());
                handoff.put(groups);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // an Error (out of memory) or a bug: nothing more would be scored, so the engine is failed for good
            fatal(e);
        }
        try {
            handoff.put(List.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // anything left when closing fails rather than hangs its caller
        List<Request> rest = new ArrayList<>(batches.waiting);
        queue.drainTo(rest);
        for (Request r : rest) {
            if (r != END) {
                Throwable failed = failure;
                r.result().completeExceptionally(failed != null
                        ? new EngineFailedException("scoring engine failed: " + failed, failed)
                        : new IllegalStateException("scoring engine closed"));
                r.model().release();
            }
        }
    }

    /**
     * Ends the engine after an error on one of its threads: the frames queued and in flight fail with an
     * {@link EngineFailedException}, and the listener (the service, which reports down and exits) is told once.
     */
    private void fatal(Throwable e) {
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = e;
        }
        LOG.error("scoring engine failed, no frame will be scored any more: {}", e.toString(), e);
        closed = true;
        queue.add(END);
        worker.interrupt();
        post.interrupt();
        EngineFailedException failed = new EngineFailedException("scoring engine failed: " + e, e);
        for (CompletableFuture<Detection> r : inFlight) {
            r.completeExceptionally(failed);
        }
        try {
            fatalListener.accept(e);
        } catch (RuntimeException listenerFailed) {
            LOG.error("the engine's failure listener failed: {}", listenerFailed.toString());
        }
    }

    /** Tells {@code listener} once, from the failing thread, when the engine fails for good. */
    public void onFatal(java.util.function.Consumer<Throwable> listener) {
        fatalListener = listener;
        Throwable already = failure;
        if (already != null) {
            listener.accept(already);
        }
    }

    /** What ended the engine, or null while it works. */
    public Throwable failure() {
        return failure;
    }

    /** The post-processing stage: Gaussians, maps and scores, then the callers' futures complete. */
    private void postProcess() {
        try {
            while (true) {
                List<Group> groups = handoff.take();
                if (groups.isEmpty() && closed && queue.isEmpty()) {
                    return;
                }
                score(groups);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            fatal(e);
        }
    }

    /** Batches from the queue: blocks for a first frame, then takes more until the batch is full or linger ends. */
    private final class BatchIterator implements Iterator<List<Request>> {
        private List<Request> next;

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = take();
            }
            return !next.isEmpty();
        }

        @Override
        public List<Request> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            List<Request> batch = next;
            next = null;
            return batch;
        }

        /** Frames taken from the queue and not yet batched, oldest first (the worker's alone). */
        final java.util.ArrayDeque<Request> waiting = new java.util.ArrayDeque<>();
        private boolean ending;

        /**
         * The oldest waiting frame, then as many frames of its camera's model as there are, then others, up to the
         * batch size. With a backlog, a batch then holds one or two models' frames rather than a few of each: the
         * Gaussian stage reads each model's factors once per batch, so fewer, larger slices cost less.
         */
        private List<Request> take() {
            List<Request> batch = new ArrayList<>(batchSize);
            try {
                if (waiting.isEmpty() && !ending) {
                    receive(queue.take());
                }
                if (waiting.isEmpty()) {
                    return batch;
                }
                long deadline = System.nanoTime() + lingerNanos;
                while (waiting.size() < batchSize && !ending) {
                    long wait = deadline - System.nanoTime();
                    Request r = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (r == null) {
                        break;
                    }
                    receive(r);
                }
                List<Request> more = new ArrayList<>();
                queue.drainTo(more);
                more.forEach(this::receive);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            CameraModel model = waiting.isEmpty() ? null : waiting.peekFirst().model();
            for (var it = waiting.iterator(); it.hasNext() && batch.size() < batchSize; ) {
                Request r = it.next();
                if (r.model() == model) {
                    batch.add(r);
                    it.remove();
                }
            }
            for (var it = waiting.iterator(); it.hasNext() && batch.size() < batchSize; ) {
                batch.add(it.next());
                it.remove();
            }
            return batch;
        }

        private void receive(Request r) {
            if (r == END) {
                ending = true;
            } else {
                waiting.add(r);
            }
        }
    }

    /** Backbone stage: one run per extractor, each model's frames kept together and in arrival order. */
    private List<Group> embed(List<Request> batch) {
        batches.incrementAndGet();
        frames.addAndGet(batch.size());
        batchListener.accept(batch.size());
        Map<FeatureExtractor, Map<CameraModel, List<Request>>> byExtractor = new LinkedHashMap<>();
        for (Request r : batch) {
            byExtractor.computeIfAbsent(r.model().detector.extractor(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.model(), k -> new ArrayList<>()).add(r);
        }
        List<Group> groups = new ArrayList<>();
        for (var e : byExtractor.entrySet()) {
            List<Request> requests = new ArrayList<>();
            e.getValue().values().forEach(requests::addAll);
            FeatureExtractor extractor = e.getKey();
            // decoding and resizing, frame by frame in parallel: a frame that fails leaves the batch, alone
            RgbImage[] prepared = new RgbImage[requests.size()];
            java.util.stream.IntStream.range(0, requests.size()).parallel().forEach(i -> {
                Request r = requests.get(i);
                try {
                    prepared[i] = extractor.prepare(r.frame() != null ? r.frame() : decode(r));
                } catch (dev.vigil.media.MediaException ex) {
                    // the frame's own fault, said in the engine's terms: callers need not know the media package
                    r.result().completeExceptionally(new UndecodableFrameException(ex.getMessage(), ex));
                } catch (IOException | RuntimeException ex) {
                    r.result().completeExceptionally(ex);
                }
            });
            List<RgbImage> images = new ArrayList<>(requests.size());
            for (int i = requests.size() - 1; i >= 0; i--) {
                if (prepared[i] == null) {
                    requests.remove(i).model().release();
                }
            }
            for (RgbImage image : prepared) {
                if (image != null) {
                    images.add(image);
                }
            }
            if (requests.isEmpty()) {
                continue;
            }
            try {
                groups.add(new Group(extractor, requests, extractor.embed(images, batchSize)));
            } catch (RuntimeException ex) {
                fail(requests, ex);
                requests.forEach(r -> r.model().release());
            }
        }
        return groups;
    }

    private RgbImage decode(Request r) throws IOException {
        return decoder.decode(r.encoded(), r.width(), r.height());
    }

    /** How the engine turns a submitted frame's bytes into pixels. */
    @FunctionalInterface
    public interface FrameDecoder {
        /** @throws IOException saying why the bytes are not a {@code width x height} image the engine takes */
        RgbImage decode(byte[] encoded, int width, int height) throws IOException;
    }

    /**
     * Replaces how frames are decoded; for tests that need a frame to fail as a poison frame would (with an
     * {@link Error}), which no real frame may do once decoding is bounded. Call before submitting frames.
     */
    public ScoringEngine decodeWith(FrameDecoder decoder) {
        this.decoder = decoder;
        return this;
    }

    /** Post-processing stage: each model's Gaussians on its slice, then maps and scores. */
    private void score(List<Group> groups) {
        for (Group g : groups) {
            int first = 0;
            while (first < g.requests().size()) {
                CameraModel model = g.requests().get(first).model();
                int n = 0;
                while (first + n < g.requests().size() && g.requests().get(first + n).model() == model) {
                    n++;
                }
                List<Request> slice = g.requests().subList(first, first + n);
                try {
                    // a camera's frames reach this thread in order: a frame that failed to decode is a gap here
                    boolean[] follows = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        follows[i] = model.continuity.next(slice.get(i).seq(), slice.get(i).millis());
                    }
                    List<Detection> detections = model.detector.score(g.batch(), first, n, follows);
                    for (int i = 0; i < n; i++) {
                        slice.get(i).result().complete(detections.get(i));
                    }
                } catch (RuntimeException e) {
                    fail(slice, e);
                }
                slice.forEach(r -> r.model().release());
                first += n;
            }
            g.extractor().recycle(g.batch());
        }
    }

    private static void fail(List<Request> requests, RuntimeException e) {
        LOG.warn("scoring {} frames failed: {}", requests.size(), e.toString());
        for (Request r : requests) {
            r.result().completeExceptionally(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        queue.add(END);
        worker.join(60_000);
        post.join(60_000);
    }
}
