package dev.vigil.topology;

import dev.vigil.files.PrivateFiles;
import dev.vigil.stream.ModelChunk;
import dev.vigil.stream.ModelVersionStatus;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of one task's cameras, in two state stores backed by changelog topics (so a restarted or standby
 * instance has them without re-reading the models topic): every chunk of the camera's newest {@link #KEEP} versions
 * and of its active one (so that an activation record can roll back to one of them), keyed
 * {@code <camera>#<version, 19 digits>#<index, 10 digits>} so that one camera's chunks sort by version and index,
 * and each camera's active version (with its candidate in shadow, and what was last reported of its versions on
 * the status topic). A new version becomes active only when all its chunks are in, its sha256
 * matches and the engine accepted it; until then the previous version stays whole in the store.
 */
final class ModelStore {
    static final String CHUNKS = "vigil-model-chunks";
    static final String ACTIVE = "vigil-model-active";
    /** Versions of a camera kept besides the active one: as many as the models topic keeps by default. */
    static final int KEEP = dev.vigil.stream.ModelPublisher.DEFAULT_KEEP;

    /** What became of a chunk. */
    enum Outcome { STALE, STORED, COMPLETE }

    private static final StringSerializer KEYS = new StringSerializer();

    private final KeyValueStore<String, byte[]> chunks;
    private final KeyValueStore<String, byte[]> active;
    private final Path workDir;
    /** chunks received per pending camera#version, rebuilt from the store after a restart */
    private final Map<String, BitSet> received = new ConcurrentHashMap<>();
    private final Map<String, ModelChunk> headers = new ConcurrentHashMap<>();

    ModelStore(KeyValueStore<String, byte[]> chunks, KeyValueStore<String, byte[]> active, Path workDir) {
        this.chunks = chunks;
        this.active = active;
        this.workDir = workDir;
    }

    /** The camera's active version, or -1 when it has none. */
    long activeVersion(String camera) {
        byte[] v = active.get(camera);
        return v == null ? -1 : Long.parseLong(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Stores a chunk of a version not yet complete in the store.
     *
     * @throws IOException naming the camera, version, index and the problem when the chunk contradicts its version
     */
    Outcome accept(ModelChunk chunk) throws IOException {
        String camera = chunk.camera();
        if (chunk.version() == activeVersion(camera)) {
            return Outcome.STALE;
        }
        if (camera.contains("#")) {
            throw refused(chunk, "camera ids may not contain '#'");
        }
        String prefix = versionPrefix(camera, chunk.version());
        BitSet got = received.computeIfAbsent(prefix, this::scan);
        if (got.get(chunk.index()) && got.cardinality() == chunk.count()) {
            // a version the store already holds whole: a redelivery
            return Outcome.STALE;
        }
        // the version's header, from its first stored chunk (read once, not once per chunk: chunks are 1 MB)
        ModelChunk sibling = got.isEmpty() ? chunk : headers.computeIfAbsent(prefix, p -> header(
                ModelChunk.deserialize(chunks.get(p + String.format("%010d", got.nextSetBit(0))))));
        String problem = chunk.problemAgainst(sibling.count(), sibling.chunkBytes(), sibling.totalBytes(),
                sibling.sha256());
        if (problem != null) {
            throw refused(chunk, problem);
        }
        chunks.put(prefix + String.format("%010d", chunk.index()), chunk.serialize());
        got.set(chunk.index());
        return got.cardinality() == chunk.count() ? Outcome.COMPLETE : Outcome.STORED;
    }

    /** A version written out in full, not yet checked against its sha256. */
    record Assembled(Path file, String sha256) {
    }

    /**
     * Writes a complete version's chunks, in order, to a file under the work directory; {@link ModelLoader} checks
     * it. Only reading and writing happen here, on the stream thread: the digest is the loader's.
     *
     * @throws IOException naming the camera and the version when a chunk is missing; no file is left behind then
     */
    Assembled assemble(String camera, long version) throws IOException {
        PrivateFiles.createDirectories(workDir);
        // a temporary file is created 0600
        Path file = Files.createTempFile(workDir, "model-", ".vgm");
        String expected = null;
        int count = -1;
        int seen = 0;
        try {
            try (OutputStream out = Files.newOutputStream(file);
                 KeyValueIterator<String, byte[]> it = chunks.prefixScan(versionPrefix(camera, version), KEYS)) {
                while (it.hasNext()) {
                    ModelChunk c = ModelChunk.deserialize(it.next().value);
                    if (c.index() != seen) {
                        throw new IOException("model for camera " + camera + " version " + version
                                + " is incomplete in the state store: chunk " + seen + " missing");
                    }
                    expected = c.sha256();
                    count = c.count();
                    out.write(c.data());
                    seen++;
                }
            }
            if (seen == 0 || seen != count) {
                throw new IOException("model for camera " + camera + " version " + version + " is incomplete in the "
                        + "state store: " + seen + " of " + (count < 0 ? "?" : count) + " chunks");
            }
            return new Assembled(file, expected);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * Makes a version active, and drops the versions past the retention: all but the newest KEEP, this one and the
     * shadow.
     */
    void activate(String camera, long version) {
        active.put(camera, Long.toString(version).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long shadow = shadowVersion(camera);
        List<Long> stored = versions(camera);
        for (int i = 0; i < stored.size() - KEEP; i++) {
            if (stored.get(i) != version && stored.get(i) != shadow) {
                discard(camera, stored.get(i));
            }
        }
    }

    /** Where a camera's candidate in shadow is kept: beside its active version's key (camera ids have no '#'). */
    private static final String SHADOW_SUFFIX = "#shadow";

    /** The version the camera is scored with in shadow, or -1 when none. */
    long shadowVersion(String camera) {
        byte[] v = active.get(camera + SHADOW_SUFFIX);
        return v == null ? -1 : Long.parseLong(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @param version the candidate, or -1 for none */
    void shadow(String camera, long version) {
        if (version < 0) {
            active.delete(camera + SHADOW_SUFFIX);
        } else {
            active.put(camera + SHADOW_SUFFIX, Long.toString(version).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /**
     * Where a camera's last {@link ModelVersionStatus} is kept: the refusals it lists outlive a restart, and a
     * camera without one has never been reported on.
     */
    private static final String REPORTED_SUFFIX = "#reported";

    /** What the scorer last wrote of the camera's versions on the status topic, or null when nothing yet. */
    ModelVersionStatus reported(String camera) {
        byte[] v = active.get(camera + REPORTED_SUFFIX);
        return v == null ? null : ModelVersionStatus.fromJson(v);
    }

    void reported(ModelVersionStatus status) {
        active.put(status.camera() + REPORTED_SUFFIX, status.toJson());
    }

    /** The cameras of this store with an active version. */
    List<String> activeCameras() {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = active.all()) {
            // camera ids have no '#': the other keys are a camera's shadow and report
            it.forEachRemaining(kv -> {
                if (!kv.key.contains("#")) {
                    out.add(kv.key);
                }
            });
        }
        return out;
    }

    /** The cameras of this store that have a candidate in shadow. */
    List<String> shadowedCameras() {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = active.all()) {
            it.forEachRemaining(kv -> {
                if (kv.key.endsWith(SHADOW_SUFFIX)) {
                    out.add(kv.key.substring(0, kv.key.length() - SHADOW_SUFFIX.length()));
                }
            });
        }
        return out;
    }

    /**
     * The versions of a camera the store holds chunks of, oldest first. Skips from version to version, reading one
     * chunk of each: the chunks are a megabyte each.
     */
    List<Long> versions(String camera) {
        List<Long> out = new ArrayList<>();
        String from = camera + "#";
        String end = camera + "$"; // '$' follows '#': the end of this camera's keys
        while (true) {
            String key;
            try (KeyValueIterator<String, byte[]> it = chunks.range(from, end)) {
                if (!it.hasNext()) {
                    return out;
                }
                key = it.peekNextKey();
            }
            long version = Long.parseLong(key.substring(camera.length() + 1, camera.length() + 20));
            out.add(version);
            from = versionPrefix(camera, version + 1);
        }
    }

    /** Drops a version that was refused. */
    void discard(String camera, long version) {
        String prefix = versionPrefix(camera, version);
        deleteRange(prefix, versionPrefix(camera, version + 1));
        received.remove(prefix);
        headers.remove(prefix);
    }

    /** Deletes keys in [from, to). */
    private void deleteRange(String from, String to) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = chunks.range(from, to)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                if (kv.key.compareTo(to) < 0) {
                    keys.add(kv.key);
                }
            }
        }
        keys.forEach(chunks::delete);
    }

    private static ModelChunk header(ModelChunk c) {
        return new ModelChunk(c.camera(), c.version(), c.index(), c.count(), c.chunkBytes(), c.totalBytes(), c.sha256(),
                new byte[0]);
    }

    private BitSet scan(String prefix) {
        BitSet got = new BitSet();
        try (KeyValueIterator<String, byte[]> it = chunks.prefixScan(prefix, KEYS)) {
            while (it.hasNext()) {
                String key = it.next().key;
                got.set(Integer.parseInt(key.substring(prefix.length())));
            }
        }
        return got;
    }

    static String versionPrefix(String camera, long version) {
        return camera + "#" + String.format("%019d", version) + "#";
    }

    private static IOException refused(ModelChunk chunk, String problem) {
        return new IOException("model chunk " + chunk.index() + " for camera " + chunk.camera() + " version "
                + chunk.version() + " refused: " + problem);
    }
}
