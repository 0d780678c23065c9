package dev.vigil.learning;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FeatureExtractor;
import dev.vigil.media.RgbImage;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.MemoryRefinement;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.Provenance;
import dev.vigil.stream.CameraFrames;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import dev.vigil.stream.Topics;
import dev.vigil.topology.CameraRefiner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The scorer's refiner: adds to a camera's patch memory what frames an operator confirmed as normal showed
 * ({@link MemoryRefinement}), and publishes the model as a new version with provenance {@code refine}. It starts
 * from the version the scorer uses or is about to (the newest asked for on the models topic), so confirmations
 * refined one after another build on each other. The Gaussians, the memory's scales and gate and the threshold are
 * the base version's: the memory only ever lowers a patch's distance (to its memory distance, where that is below its
 * appearance distance), and a refinement replaces at most the finest quarter of it ({@link
 * dev.vigil.padim.PatchMemory#refine}), so footage that scored as normal scores as before and the threshold stays
 * right. Bounded: at most {@link Feedback#MAX_FRAMES} frames, read within
 * {@link #MAX_SCANNED} records of the camera's partition, in batches of {@link #BATCH}.
 */
public final class MemoryRefiner implements CameraRefiner {
    /** frames per backbone batch */
    public static final int BATCH = 16;
    /** records of the camera's frames partition read at most to find the confirmed frames (other cameras' too) */
    public static final long MAX_SCANNED = 100_000;

    private final OnnxBackbone backbone;
    private final KafkaConnection kafka;

    /** @param backbone the one the scorer runs (an ONNX Runtime session takes concurrent runs) */
    public MemoryRefiner(OnnxBackbone backbone, KafkaConnection kafka) {
        this.backbone = backbone;
        this.kafka = kafka;
    }

    @Override
    public Outcome refine(Feedback f) throws IOException, InterruptedException {
        String camera = f.camera();
        ModelVersions versions = ModelVersions.read(kafka, camera);
        long base = versions.pending() >= 0 ? versions.pending() : versions.active();
        if (base < 0) {
            return Outcome.refused(-1, "camera " + camera + " has no model to refine: publish or learn one first");
        }
        Path dir = Files.createTempDirectory("vigil-refine-");
        try {
            Path file = ModelVersions.download(kafka, camera, base, dir);
            if (ModelFile.readInfo(file).memory() == null) {
                return Outcome.refused(base, "version " + base + " has no patch memory, and refining adds the "
                        + "confirmed frames' patches to it: learn or train the camera's model with one (--memory, the "
                        + "video default), or raise its threshold (vigil model calibrate)");
            }
            try (PadimModel model = Detector.loadModel(backbone, file)) {
                return refine(f, base, model, dir);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Outcome refine(Feedback f, long base, PadimModel model, Path dir) throws IOException, InterruptedException {
        String camera = f.camera();
        CameraFrames.Selection selection = CameraFrames.selectSeqs(kafka, camera, f.fromSeq(), f.toSeq(),
                f.fromMillis(), f.toMillis(), MAX_SCANNED);
        String span = "frames " + f.fromSeq() + ".." + f.toSeq() + " of camera " + camera + " captured from "
                + Instant.ofEpochMilli(f.fromMillis());
        if (selection.size() == 0) {
            return Outcome.refused(base, "none of " + span + " is on " + Topics.FRAMES.name() + " any more (it keeps "
                    + "frames a day by default) or within " + MAX_SCANNED + " records of that time");
        }
        ModelInfo info = model.info();
        FeatureExtractor extractor = new FeatureExtractor(backbone, Detector.preprocessing(info),
                info.channelIndices());
        MemoryRefinement refinement = new MemoryRefinement(model, MemoryRefinement.CANDIDATES_PER_ROW);
        long[] undecodable = {0};
        int read = 0;
        try (CameraFrames.Frames frames = CameraFrames.read(kafka, selection)) {
            Iterator<RgbImage> images = TopicLearner.decoded(camera, frames, undecodable);
            List<RgbImage> batch = new ArrayList<>(BATCH);
            while (images.hasNext()) {
                batch.add(extractor.prepare(images.next()));
                if (batch.size() == BATCH || !images.hasNext()) {
                    EmbeddingBatch embedded = extractor.embed(batch, BATCH);
                    refinement.offer(embedded, 0, batch.size());
                    extractor.recycle(embedded);
                    read += batch.size();
                    batch.clear();
                }
            }
        }
        if (read == 0) {
            return Outcome.refused(base, "none of the " + selection.size() + " " + span + " found decoded");
        }
        String note = read < f.frames() ? read + " of the " + f.frames() + " frames confirmed were read (the others "
                + "are gone from " + Topics.FRAMES.name() + ", were not found, or did not decode)" : null;
        if (refinement.candidates() == 0) {
            return Outcome.unchanged(base, read, "the model already scores every patch of these " + read + " frames "
                    + "as normal for its position or for its memory: nothing to add (what made them score high, if "
                    + "anything, is not their appearance, e.g. their motion)");
        }
        ModelInfo refined = info.withCreated(Instant.now()).withProvenance(new Provenance("refine", camera,
                List.of(Topics.FRAMES.name() + " partition " + selection.partition(), "feedback " + f.id()), read,
                Instant.ofEpochMilli(selection.firstMillis()), Instant.ofEpochMilli(selection.lastMillis()),
                String.join(",", selection.codecs()), 0, base));
        Path out = dir.resolve("refined.vgm");
        // the same Gaussians (closed with the base model by the caller), a memory with the new patches
        ModelFile.write(out, new PadimModel(refined, model.gaussian(), model.motion(), refinement.refined()));
        long version = Math.max(System.currentTimeMillis(), base + 1);
        ModelPublisher.publish(kafka, camera, out, version, ModelChunks.DEFAULT_CHUNK_BYTES);
        return Outcome.published(base, version, read, refinement.candidates(), note);
    }
}
