package dev.vigil.stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The versions of one camera's model that the models topic holds, read to its end: each version's chunks, its first
 * chunk (which holds the model file's header), and which version is active. The active version is the one the
 * scorer reported it accepted ({@link ModelVersionStatus}), and a version it refused is refused with its reason.
 * The models topic's records alone say which version the scorer is asked to make active (docs/topics.md): a version
 * becomes active when its last chunk arrives if it is newer than the active one, and an activation record makes the
 * version it names active if that version is complete; records count in offset order. That version, until the scorer
 * reports it accepted, is pending.
 */
public final class ModelVersions {
    /**
     * @param keys  the record keys of its chunks (tombstoned to delete the version)
     * @param first the first chunk's bytes (the model file's header), or null when it is gone
     */
    public record Version(String camera, long version, int count, long totalBytes, String sha256, Set<String> keys,
                          BitSet received, byte[] first) {
        public boolean complete() {
            return received.cardinality() == count && first != null;
        }
    }

    /**
     * A version's part in scoring: the one the scorer reported it uses, or refused; the one the models topic asks for
     * that no scorer has reported accepting (pending); the candidate in shadow; else stored (complete) or incomplete.
     */
    public enum State {
        ACTIVE, PENDING, REFUSED, SHADOW, STORED, INCOMPLETE;

        /** As {@code model list --json} and the dashboard's API write it. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final String camera;
    private final Map<Long, Version> versions = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    /** the version the models topic's records ask for */
    private long expected = -1;
    private long shadow = -1;
    /** what the scorer reported, or null when none has */
    private ModelVersionStatus scorer;

    private ModelVersions(String camera) {
        this.camera = camera;
    }

    /** Reads the camera's partition of the models topic from its start to its end. */
    public static ModelVersions read(KafkaConnection kafka, String camera) throws java.io.IOException, InterruptedException {
        Topics.ensure(kafka);
        ModelVersions v = new ModelVersions(camera);
        try (TopicReader reader = TopicReader.partitionOf(kafka, Topics.MODELS, camera)) {
            reader.read(new TopicReader.Until.CaughtUp(), v::accept, r -> false);
        }
        v.scorer = ModelVersionStatus.read(kafka, camera).orElse(null);
        return v;
    }

    /** Takes one record of the camera's partition, in offset order. */
    void accept(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            // a tombstone: the chunk under that key is gone
            for (Version v : versions.values()) {
                if (v.keys().remove(r.key())) {
                    int index = Integer.parseInt(r.key().substring(r.key().lastIndexOf('#') + 1));
                    v.received().clear(index);
                }
            }
            return;
        }
        try {
            if (ModelRecords.isControl(r.headers())) {
                ModelRecords.Control a = ModelRecords.controlFromParts(r.key(), r.headers());
                if (!a.camera().equals(camera)) {
                    return;
                }
                if (a.shadow()) {
                    shadow = a.version() > 0 ? a.version() : -1;
                    return;
                }
                Version v = versions.get(a.version());
                if (v != null && v.complete()) {
                    expected = a.version();
                    if (shadow == expected) {
                        // the candidate was promoted: it is no longer a shadow
                        shadow = -1;
                    }
                }
                return;
            }
            ModelChunk c = ModelRecords.fromRecord(r);
            if (!c.camera().equals(camera)) {
                return;
            }
            Version v = versions.computeIfAbsent(c.version(), k -> new Version(camera, k, c.count(), c.totalBytes(),
                    c.sha256(), new HashSet<>(), new BitSet(), null));
            if (c.index() == 0) {
                v = new Version(v.camera(), v.version(), v.count(), v.totalBytes(), v.sha256(), v.keys(), v.received(),
                        c.data());
                versions.put(c.version(), v);
            }
            boolean wasComplete = v.complete();
            v.keys().add(r.key());
            v.received().set(c.index());
            // a candidate (named by a shadow record before its chunks) does not become active by being newest
            if (!wasComplete && v.complete() && c.version() > expected && c.version() != shadow) {
                expected = c.version();
            }
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }

    /**
     * Reassembles one version from the topic into a file under {@code directory}, verified against its sha256
     * ({@link ModelAssembler}): what {@code model calibrate} starts from.
     *
     * @throws IOException naming the camera and the version when the topic does not hold it whole, or it does not
     *                     match its checksum
     */
    public static Path download(KafkaConnection kafka, String camera, long version, Path directory)
            throws IOException {
        ModelAssembler assembler = new ModelAssembler(directory);
        Path[] done = {null};
        IOException[] failure = {null};
        try (TopicReader reader = TopicReader.partitionOf(kafka, Topics.MODELS, camera)) {
            reader.read(new TopicReader.Until.CaughtUp(), r -> {
                if (r.value() == null || ModelRecords.isControl(r.headers()) || done[0] != null || failure[0] != null) {
                    return;
                }
                try {
                    ModelChunk c = ModelRecords.fromRecord(r);
                    if (c.camera().equals(camera) && c.version() == version) {
                        assembler.accept(c).ifPresent(a -> done[0] = a.file());
                    }
                } catch (IllegalArgumentException e) {
                    // not a chunk of this version
                } catch (IOException e) {
                    failure[0] = e;
                }
            }, r -> done[0] != null || failure[0] != null);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        if (done[0] == null) {
            throw new IOException("the models topic does not hold version " + version + " of camera " + camera
                    + " whole");
        }
        return done[0];
    }

    /** Every version with at least one chunk left, oldest first. */
    public List<Version> all() {
        return versions.values().stream().filter(v -> !v.keys().isEmpty()).toList();
    }

    /**
     * @throws IllegalArgumentException naming the camera's complete versions when {@code version} is not one of them:
     *                                  the scorer would refuse it too, but only in its log
     */
    public void requireComplete(long version) {
        if (complete().stream().noneMatch(v -> v.version() == version)) {
            throw new IllegalArgumentException("camera " + camera + " has no complete version " + version
                    + " on the models topic (complete versions: " + complete().stream()
                    .map(v -> Long.toString(v.version())).toList() + ")");
        }
    }

    /** The version scored in shadow beside the active one, or -1 when none. */
    public long shadow() {
        return shadow;
    }

    public List<Version> complete() {
        return versions.values().stream().filter(Version::complete).toList();
    }

    /**
     * The version scoring the camera as the scorer reported it, or -1 when it has none; when no scorer has reported,
     * the version the models topic asks for ({@link #pending()}), as the best guess.
     */
    public long active() {
        return scorer != null ? scorer.active() : expected();
    }

    /** Whether a scorer has reported which version it accepted: else {@link #active()} is a guess. */
    public boolean reported() {
        return scorer != null;
    }

    /**
     * The version the models topic's records make active that the scorer has not reported accepting (still
     * loading, or no scorer has reported yet), or -1 when none: not one it refused.
     */
    public long pending() {
        long e = expected();
        if (e < 0 || scorer != null && (scorer.active() == e || scorer.refusal(e).isPresent())) {
            return -1;
        }
        return e;
    }

    /** Why the scorer refused {@code version}, if it did (and has not accepted it since). */
    public Optional<ModelVersionStatus.Refusal> refusal(long version) {
        return scorer == null ? Optional.empty() : scorer.refusal(version);
    }

    public State state(Version v) {
        if (refusal(v.version()).isPresent()) {
            return State.REFUSED;
        }
        if (scorer != null && v.version() == scorer.active()) {
            return State.ACTIVE;
        }
        if (v.version() == pending()) {
            return State.PENDING;
        }
        if (v.version() == shadow) {
            return State.SHADOW;
        }
        return v.complete() ? State.STORED : State.INCOMPLETE;
    }

    private long expected() {
        Version v = versions.get(expected);
        return v != null && v.complete() ? expected : -1;
    }

    /** Records of the partition that could not be read as chunks or control records. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** The versions to delete so that the newest {@code keep} complete ones, the active one and the shadow remain. */
    public List<Version> beyond(int keep) {
        List<Version> newestFirst = all().stream().sorted(Comparator.comparingLong(Version::version).reversed()).toList();
        List<Version> out = new ArrayList<>();
        int kept = 0;
        for (Version v : newestFirst) {
            // the newest version, even incomplete, may still be arriving; older incomplete ones were abandoned
            boolean keepIt = v.version() == active() || v.version() == shadow || v.complete() && kept < keep
                    || v == newestFirst.get(0);
            if (v.complete() && kept < keep) {
                kept++;
            }
            if (!keepIt) {
                out.add(v);
            }
        }
        return out;
    }
}
