package dev.vigil.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.ingest.SourceRedaction;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelVersionStatus;
import dev.vigil.stream.RefinementStatus;
import dev.vigil.stream.Topic;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Topics;
import dev.vigil.untrusted.CameraId;
import dev.vigil.untrusted.LogText;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the dashboard shows, read from Vigil's topics as any subscriber would (read_committed, no consumer group,
 * nothing written): each camera's recent frames, latest anomaly map and recent scores, its ingest and model status,
 * recent alerts and their snapshots. It holds a bounded window of each in memory and tells its listeners (the
 * server-sent-event clients) what changed. It knows nothing of models' maths or of HTTP.
 *
 * <p>Reads {@code vigil.anomaly-maps}, {@code vigil.frames}, {@code vigil.alerts}, {@code vigil.snapshots} and
 * {@code vigil.camera-status}; starts a little before each partition's end (the recent past) and follows.
 */
public final class DashboardFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardFeed.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** camera-status keys ending so carry a camera's model status (learning progress, scoring), not ingest's */
    public static final String MODEL_STATUS_SUFFIX = "#model";
    /** camera-status keys ending so carry the version the scorer accepted and those it refused */
    static final String MODEL_VERSIONS_SUFFIX = "#" + ModelVersionStatus.KIND;
    /** camera-status keys ending so carry what the scorer made of an operator's latest confirmation */
    static final String REFINEMENT_SUFFIX = "#" + RefinementStatus.KIND;
    static final int SCORES_KEPT = 300;
    static final int FRAMES_KEPT = 48;
    static final int ALERTS_KEPT = 500;
    static final int SNAPSHOTS_KEPT = 200;
    /** Cameras shown at most: the scorer's own default limit (serve --max-cameras). */
    static final int MAX_CAMERAS = 1000;

    /** One scored frame, as charted. */
    public record ScorePoint(long seq, long timestamp, double score, Double threshold, boolean anomalous,
                             long modelVersion) {
    }

    /** An encoded frame as it came from the frames topic. */
    public record FrameImage(long seq, long timestamp, String contentType, byte[] bytes) {
    }

    /** A change for listeners: {@code type} "score", "alert" or "status", and its JSON body. */
    public record Event(String type, Object body) {
    }

    /** Everything kept about one camera; guarded by the feed's lock. */
    static final class CameraView {
        final String camera;
        final ArrayDeque<ScorePoint> scores = new ArrayDeque<>();
        final ArrayDeque<FrameImage> frames = new ArrayDeque<>();
        AnomalyMapRecord latestMap;
        JsonNode ingestStatus;
        JsonNode modelStatus;
        JsonNode modelVersions;
        JsonNode refinement;
        long lastFrameAt;
        /** the lowest-scoring frame seen since the current model version took over */
        FrameImage typical;
        double typicalScore = Double.MAX_VALUE;
        long typicalVersion = -1;

        CameraView(String camera) {
            this.camera = camera;
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final Map<String, CameraView> cameras = new TreeMap<>();
    private final LinkedHashMap<String, Alert> alerts = new LinkedHashMap<>();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<String> confirmedNormal = ConcurrentHashMap.newKeySet();
    private final LinkedHashMap<String, byte[]> snapshots = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > SNAPSHOTS_KEPT;
        }
    };
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private DashboardFeed(KafkaConnection kafka) {
        Map<String, Object> config = kafka.config();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-dashboard");
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "vigil-dashboard-feed");
        thread.setDaemon(true);
    }

    /**
     * Starts following the topics, on a thread of its own; returns at once. Until the topics exist (serve and
     * broker create them) it waits for them, so the HTTP listener need not.
     */
    public static DashboardFeed start(KafkaConnection kafka) {
        DashboardFeed feed = new DashboardFeed(kafka);
        feed.thread.start();
        return feed;
    }

    /** Assigns every partition of the topics read, each a little before its end; false while one is missing. */
    private boolean assign() {
        // how far back each topic starts: enough for the charts, the alert list and the newest frames
        Map<Topic<?>, Long> back = Map.of(Topics.ANOMALY_MAPS, (long) SCORES_KEPT, Topics.ALERTS, 100L,
                Topics.SNAPSHOTS, 40L, Topics.FRAMES, 8L, Topics.CAMERA_STATUS, Long.MAX_VALUE);
        List<TopicPartition> all = new ArrayList<>();
        Map<TopicPartition, Long> depth = new HashMap<>();
        for (var e : back.entrySet()) {
            List<PartitionInfo> infos = consumer.partitionsFor(e.getKey().name(), Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            for (PartitionInfo i : infos) {
                TopicPartition tp = new TopicPartition(i.topic(), i.partition());
                all.add(tp);
                depth.put(tp, e.getValue());
            }
        }
        consumer.assign(all);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(all);
        Map<TopicPartition, Long> end = consumer.endOffsets(all);
        for (TopicPartition tp : all) {
            consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - Math.min(depth.get(tp), end.get(tp))));
        }
        return true;
    }

    private void run() {
        try {
            boolean warned = false;
            while (!closed && !assign()) {
                if (!warned) {
                    LOG.info("dashboard: waiting for Vigil's topics to exist");
                    warned = true;
                }
                Thread.sleep(1000);
            }
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        take(r);
                    } catch (RuntimeException e) {
                        // one bad record costs its own display, nothing else
                        LOG.debug("dashboard: record {}-{}@{} skipped: {}", r.topic(), r.partition(), r.offset(),
                                LogText.escape(e.getMessage()));
                    }
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("dashboard feed stopped: {}", e.toString(), e);
        } finally {
            consumer.close();
        }
    }

    private void take(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        String topic = r.topic();
        if (topic.equals(Topics.ANOMALY_MAPS.name())) {
            AnomalyMapRecord m = Topics.ANOMALY_MAPS.read(r.value());
            ScorePoint point = new ScorePoint(m.seq(), m.timestamp(), m.score(), m.threshold(), m.anomalous(),
                    m.modelVersion());
            synchronized (this) {
                CameraView v = view(m.camera());
                v.latestMap = m;
                if (m.modelVersion() != v.typicalVersion || m.score() < v.typicalScore) {
                    for (FrameImage f : v.frames) {
                        if (f.seq() == m.seq()) {
                            v.typical = f;
                            v.typicalScore = m.score();
                            v.typicalVersion = m.modelVersion();
                        }
                    }
                }
                v.scores.addLast(point);
                while (v.scores.size() > SCORES_KEPT) {
                    v.scores.removeFirst();
                }
            }
            publish(new Event("score", Map.of("camera", m.camera(), "point", point, "scale", m.map().scale())));
        } else if (topic.equals(Topics.FRAMES.name())) {
            // the scorer's own checks: a frame it would refuse is not shown either
            FrameRecords.Frame f = FrameRecords.fromRecord(r);
            FrameImage frame = new FrameImage(f.seq(), r.timestamp(),
                    "png".equals(f.codec()) ? "image/png" : "image/jpeg", r.value());
            synchronized (this) {
                CameraView v = view(f.camera());
                v.frames.addLast(frame);
                v.lastFrameAt = System.currentTimeMillis();
                while (v.frames.size() > FRAMES_KEPT) {
                    v.frames.removeFirst();
                }
            }
        } else if (topic.equals(Topics.ALERTS.name())) {
            Alert a = Topics.ALERTS.read(r.value());
            synchronized (this) {
                alerts.remove(a.id());
                alerts.put(a.id(), a);
                while (alerts.size() > ALERTS_KEPT) {
                    String gone = alerts.keySet().iterator().next();
                    alerts.remove(gone);
                    acknowledged.remove(gone);
                    confirmedNormal.remove(gone);
                }
            }
            publish(new Event("alert", alertView(a)));
        } else if (topic.equals(Topics.SNAPSHOTS.name())) {
            synchronized (this) {
                snapshots.put(r.key(), r.value());
            }
            publish(new Event("snapshot", Map.of("key", r.key())));
        } else if (topic.equals(Topics.CAMERA_STATUS.name())) {
            ObjectNode status;
            try {
                status = (ObjectNode) JSON.readTree(new String(r.value(), StandardCharsets.UTF_8));
            } catch (java.io.IOException | ClassCastException e) {
                throw new IllegalArgumentException("camera status is not a JSON object: " + e.getMessage(), e);
            }
            // ingest redacts its sources already; a page must never show a credential whatever wrote the record
            if (status.hasNonNull("source")) {
                status.put("source", SourceRedaction.redact(status.get("source").asText()));
            }
            if (status.hasNonNull("reason")) {
                status.put("reason", SourceRedaction.redact(status.get("reason").asText()));
            }
            String camera;
            synchronized (this) {
                if (r.key().endsWith(REFINEMENT_SUFFIX)) {
                    camera = r.key().substring(0, r.key().length() - REFINEMENT_SUFFIX.length());
                    view(camera).refinement = status;
                } else if (r.key().endsWith(MODEL_VERSIONS_SUFFIX)) {
                    camera = r.key().substring(0, r.key().length() - MODEL_VERSIONS_SUFFIX.length());
                    view(camera).modelVersions = status;
                } else if (r.key().endsWith(MODEL_STATUS_SUFFIX)) {
                    camera = r.key().substring(0, r.key().length() - MODEL_STATUS_SUFFIX.length());
                    view(camera).modelStatus = status;
                } else {
                    camera = r.key();
                    view(camera).ingestStatus = status;
                }
            }
            publish(new Event("status", Map.of("camera", camera)));
        }
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long longHeader(ConsumerRecord<String, byte[]> r, String name) {
        String v = header(r, name);
        try {
            return v == null ? -1 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The camera's view, made on its first record. A key that is no camera id, or a camera past
     * {@link #MAX_CAMERAS}, is refused (the record is skipped), so records from outside cannot grow the feed.
     */
    private CameraView view(String camera) {
        CameraView v = cameras.get(camera);
        if (v != null) {
            return v;
        }
        String problem = CameraId.problem(camera);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (cameras.size() >= MAX_CAMERAS) {
            throw new IllegalArgumentException("the dashboard already shows " + MAX_CAMERAS + " cameras");
        }
        v = new CameraView(camera);
        cameras.put(camera, v);
        return v;
    }

    private void publish(Event event) {
        for (Consumer<Event> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.debug("dashboard listener failed: {}", e.toString());
            }
        }
    }

    /** Has {@code listener} told every change, on the feed's thread, until removed. */
    public void listen(Consumer<Event> listener) {
        listeners.add(listener);
    }

    public void unlisten(Consumer<Event> listener) {
        listeners.remove(listener);
    }

    /** The camera tiles: one summary per camera, by id. */
    public synchronized List<Map<String, Object>> cameras() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (CameraView v : cameras.values()) {
            out.add(summary(v, 60));
        }
        return out;
    }

    /** One camera's page: its summary with all kept scores and its alerts; null when unknown. */
    public synchronized Map<String, Object> camera(String camera) {
        CameraView v = cameras.get(camera);
        if (v == null) {
            return null;
        }
        Map<String, Object> out = summary(v, SCORES_KEPT);
        out.put("alerts", alerts(camera, 100));
        return out;
    }

    private Map<String, Object> summary(CameraView v, int points) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("camera", v.camera);
        out.put("state", state(v));
        AnomalyMapRecord m = v.latestMap;
        if (m != null) {
            out.put("seq", m.seq());
            out.put("timestamp", m.timestamp());
            out.put("score", m.score());
            out.put("threshold", m.threshold());
            out.put("anomalous", m.anomalous());
            out.put("model_version", m.modelVersion());
            out.put("frame_width", m.frame().width());
            out.put("frame_height", m.frame().height());
            out.put("map", Map.of("width", m.map().width(), "height", m.map().height(), "scale", m.map().scale()));
        }
        if (v.ingestStatus != null) {
            out.put("ingest", v.ingestStatus);
        }
        if (v.modelStatus != null) {
            out.put("model", v.modelStatus);
        }
        if (v.modelVersions != null) {
            // the scorer's word on which version it uses: the maps' model_version shows the same once frames come
            out.put("model_versions", v.modelVersions);
        }
        if (v.refinement != null) {
            // what the scorer made of an operator's latest confirmation: queued, published, refused (and why), ...
            out.put("refinement", v.refinement);
        }
        List<ScorePoint> scores = new ArrayList<>(v.scores);
        out.put("scores", scores.subList(Math.max(0, scores.size() - points), scores.size()));
        out.put("frames", v.frames.size());
        return out;
    }

    /**
     * offline (ingest says so), learning (the model status says so, with its progress), scoring (maps are
     * arriving), waiting (frames but no maps: no model yet), or idle.
     */
    private static String state(CameraView v) {
        long now = System.currentTimeMillis();
        if (v.ingestStatus != null && "offline".equals(v.ingestStatus.path("state").asText())) {
            return "offline";
        }
        String model = v.modelStatus == null ? "" : v.modelStatus.path("state").asText();
        if (model.equals("learning") || model.equals("fitting")) {
            // a phase counting frames, or its model being fitted (the badge says which)
            return "learning";
        }
        if (v.latestMap != null && now - v.latestMap.scoredAt() < 30_000) {
            return "scoring";
        }
        if (v.lastFrameAt > 0 && now - v.lastFrameAt < 30_000) {
            return model.equals("no-model") || v.latestMap == null ? "waiting" : "scoring";
        }
        return v.ingestStatus != null && "online".equals(v.ingestStatus.path("state").asText()) ? "online" : "idle";
    }

    /** Latest record of each recent alert, newest first; of one camera, or all when null. */
    public synchronized List<Map<String, Object>> alerts(String camera, int limit) {
        List<Alert> list = new ArrayList<>(alerts.values());
        list.sort(Comparator.comparingLong(Alert::startTime).reversed());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Alert a : list) {
            if (camera == null || camera.equals(a.camera())) {
                out.add(alertView(a));
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }

    private Map<String, Object> alertView(Alert a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alert", a);
        out.put("acknowledged", acknowledged.contains(a.id()));
        out.put("confirmed_normal", confirmedNormal.contains(a.id()));
        out.put("snapshot_url", a.snapshot() == null ? null : "/api/snapshots/" + a.snapshot());
        return out;
    }

    /** Marks an alert seen (in this dashboard's memory only); false when it is not among the recent ones. */
    public boolean acknowledge(String id) {
        synchronized (this) {
            if (!alerts.containsKey(id)) {
                return false;
            }
        }
        acknowledged.add(id);
        Alert a;
        synchronized (this) {
            a = alerts.get(id);
        }
        publish(new Event("alert", alertView(a)));
        return true;
    }

    /** The latest record of a recent alert, or null when it is not among them. */
    public synchronized Alert alert(String id) {
        return alerts.get(id);
    }

    /**
     * Marks a recent alert confirmed as normal (in this dashboard's memory; the confirmation itself is on the feedback
     * topic); false when it is not among the recent ones.
     */
    public boolean confirmNormal(String id) {
        Alert a;
        synchronized (this) {
            a = alerts.get(id);
        }
        if (a == null) {
            return false;
        }
        confirmedNormal.add(id);
        publish(new Event("alert", alertView(a)));
        return true;
    }

    public synchronized byte[] snapshot(String key) {
        return snapshots.get(key);
    }

    /** The camera's frame {@code seq} if still kept, else its newest; null when it has none. */
    public synchronized FrameImage frame(String camera, long seq) {
        CameraView v = cameras.get(camera);
        if (v == null || v.frames.isEmpty()) {
            return null;
        }
        for (FrameImage f : v.frames) {
            if (f.seq() == seq) {
                return f;
            }
        }
        return v.frames.peekLast();
    }

    /** The camera's latest anomaly map as its grey PNG (level v = v / 255 * scale); null when none. */
    public synchronized byte[] mapPng(String camera) {
        CameraView v = cameras.get(camera);
        return v == null || v.latestMap == null ? null
                : java.util.Base64.getDecoder().decode(v.latestMap.map().data());
    }

    /**
     * The camera's "normal" picture: the frame its current model scored lowest of all those this dashboard has seen,
     * the most typical of what it learnt; null when none was seen yet.
     */
    public synchronized FrameImage typicalFrame(String camera) {
        CameraView v = cameras.get(camera);
        return v == null ? null : v.typical;
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
