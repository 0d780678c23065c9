package dev.vigil.topology;

import dev.vigil.engine.ScoringEngine.CameraModel;
import dev.vigil.stream.DeadLetters;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelRecords;
import dev.vigil.stream.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Takes model chunks from the models topic into the task's model store; when a version is complete, reassembles
 * and verifies it, has the engine load it, and swaps it in for the camera between two frames. A chunk that
 * contradicts its version, or a version that fails its checksum or the engine's checks, goes to dead letters with
 * the reason; the camera keeps its previous model.
 */
final class ModelProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ModelProcessor.class);

    private final ScoringTopology.Shared shared;
    private ProcessorContext<String, byte[]> ctx;
    private ModelStore models;
    private final Set<String> cameras = new HashSet<>();

    ModelProcessor(ScoringTopology.Shared shared) {
        this.shared = shared;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.models = new ModelStore(context.getStateStore(ModelStore.CHUNKS), context.getStateStore(ModelStore.ACTIVE),
                FrameProcessor.workDir(context));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        ModelChunk chunk;
        try {
            chunk = ModelRecords.fromParts(record.key(), record.value(), record.headers());
        } catch (IllegalArgumentException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL_CHUNK,
                    e.getMessage());
            return;
        }
        ModelStore.Outcome outcome;
        try {
            outcome = models.accept(chunk);
        } catch (IOException e) {
            refuse(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetters.Kind.MODEL_CHUNK,
                    e.getMessage());
            return;
        }
        if (outcome == ModelStore.Outcome.COMPLETE) {
            load(chunk.camera(), chunk.version(), record);
        }
    }

    private void load(String camera, long version, Record<String, byte[]> last) {
        CameraModel model;
        try {
            Path file = models.assemble(camera, version);
            try {
                model = shared.engine().load(camera, version, file);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            models.discard(camera, version);
            shared.stats().modelsRefused.increment();
            String reason = e.getMessage();
            LOG.error("camera {}: model version {} refused, the previous model stays in use: {}", camera, version,
                    reason);
            refuse(camera, reason.getBytes(StandardCharsets.UTF_8), last.timestamp(), null, DeadLetters.Kind.MODEL,
                    reason);
            return;
        }
        shared.models().activate(model);
        models.activate(camera, version);
        cameras.add(camera);
        shared.stats().modelsLoaded.increment();
        LOG.info("camera {}: model version {} active ({}, d={}, threshold {})", camera, version,
                model.info().backboneName(), model.info().features(), model.threshold());
    }

    private void refuse(String key, byte[] value, long timestamp, Headers headers, DeadLetters.Kind kind,
                        String reason) {
        var meta = ctx.recordMetadata();
        ctx.forward(new Record<>(key, value, timestamp, DeadLetters.headers(headers, kind, reason,
                meta.map(m -> m.topic()).orElse(Topics.MODELS.name()), meta.map(m -> m.partition()).orElse(-1),
                meta.map(m -> m.offset()).orElse(-1L))), ScoringTopology.DEAD_LETTER_SINK);
        shared.stats().deadLetters.increment();
        if (kind == DeadLetters.Kind.MODEL_CHUNK) {
            LOG.warn("model chunk {} refused: {}", key, reason);
        }
    }

    @Override
    public void close() {
        cameras.forEach(shared.models()::drop);
    }
}
