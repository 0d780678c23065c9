package dev.vigil.stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The registry of Vigil's topics, used by every producer, consumer and topology and by the tests. All but the
 * snapshots are keyed by camera id and share one partition count, so that a camera's frames, model, maps and alerts meet on the same
 * partition number (docs/topics.md).
 */
public final class Topics {
    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    public static final int PARTITIONS = 6;

    /** JPEG/PNG frames from ingest and replay; kept {@link Retention#DEFAULT} (a day) unless created otherwise. */
    public static final Topic<byte[]> FRAMES = new Topic<>("vigil.frames", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.frames()), "max.message.bytes", String.valueOf(8 << 20)),
            Topic.Format.BYTES);
    /** Model files in chunks; compacted, so the newest version of every chunk of every camera stays. */
    public static final Topic<byte[]> MODELS = new Topic<>("vigil.models", PARTITIONS,
            Map.of("cleanup.policy", "compact", "max.message.bytes", String.valueOf(8 << 20)), Topic.Format.BYTES);
    /** One anomaly map per scored frame. */
    public static final Topic<AnomalyMapRecord> ANOMALY_MAPS = new Topic<>("vigil.anomaly-maps", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.maps())),
            Topic.Format.json(AnomalyMapRecord.class, "anomaly map record"));
    /** Alert lifecycle records: new, update, end. */
    public static final Topic<Alert> ALERTS = new Topic<>("vigil.alerts", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.alerts())), Topic.Format.json(Alert.class, "alert record"));
    /**
     * Alert snapshots: a JPEG of the frame with its anomaly map and boxes over it, when an alert opens and at each
     * new peak, keyed by alert id (not camera; the newest record of a key is the alert's picture). Pictures of
     * people: kept a week by default, less than the alerts they illustrate.
     */
    public static final Topic<byte[]> SNAPSHOTS = new Topic<>("vigil.snapshots", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.snapshots()), "max.message.bytes",
                    String.valueOf(8 << 20)), Topic.Format.BYTES);
    /** Camera online/offline and model states; compacted to each key's latest, read by their own classes. */
    public static final Topic<byte[]> CAMERA_STATUS = new Topic<>("vigil.camera-status", PARTITIONS,
            Map.of("cleanup.policy", "compact"), Topic.Format.BYTES);
    /** Frames scored by a candidate model beside the active one: both scores and alerts, for comparison. */
    public static final Topic<ShadowRecord> SHADOW = new Topic<>("vigil.shadow", PARTITIONS,
            Map.of("retention.ms", String.valueOf(7 * 24 * 3600 * 1000L)),
            Topic.Format.json(ShadowRecord.class, "shadow record"));
    /** Inputs that could not be processed, with the reason; they carry the refused frames, so kept as snapshots. */
    public static final Topic<byte[]> DEAD_LETTERS = new Topic<>("vigil.dead-letters", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.deadLetters()), "max.message.bytes", String.valueOf(8 << 20)),
            Topic.Format.BYTES);

    /**
     * Operators' confirmations that frames were normal ({@link Feedback}), from the dashboard and
     * {@code vigil feedback}; the scorer refines the camera's patch memory from them. Small records, a record of who
     * said what: kept as long as the alerts they answer.
     */
    public static final Topic<Feedback> FEEDBACK = new Topic<>("vigil.feedback", PARTITIONS,
            Map.of("retention.ms", ms(Retention.DEFAULT.alerts())),
            new Topic.Format<>(Feedback::toJson, Feedback::fromJson));

    /** Every topic, with the default retention. */
    public static final List<Topic<?>> ALL = List.of(FRAMES, MODELS, ANOMALY_MAPS, ALERTS, SNAPSHOTS, CAMERA_STATUS,
            SHADOW, DEAD_LETTERS, FEEDBACK);

    private Topics() {
    }

    private static String ms(java.time.Duration d) {
        return String.valueOf(d.toMillis());
    }

    /**
     * {@link #ensure(Admin, Optional)} with the cluster's {@code default.replication.factor} (1 on the embedded broker,
     * 3 on the clusters of deploy/), through a short-lived admin client.
     */
    public static List<String> ensure(KafkaConnection kafka) throws IOException, InterruptedException {
        return ensure(kafka, Retention.DEFAULT, false);
    }

    /**
     * As {@link #ensure(KafkaConnection)}, creating missing topics with {@code retention}; an existing topic that
     * keeps records longer than asked is named at WARN (Vigil does not change a topic it did not just create).
     */
    public static List<String> ensure(KafkaConnection kafka, Retention retention) throws IOException,
            InterruptedException {
        return ensure(kafka, retention, true);
    }

    private static List<String> ensure(KafkaConnection kafka, Retention retention, boolean compare)
            throws IOException, InterruptedException {
        try (Admin admin = Admin.create(kafka.config())) {
            List<String> created = ensure(admin, Optional.empty(), retention);
            if (compare) {
                warnLongerRetention(admin, retention, created);
            }
            return created;
        } catch (ExecutionException e) {
            throw new IOException("cannot create Vigil's topics on Kafka at " + kafka + ": "
                    + e.getCause().getMessage(), e);
        }
    }

    /**
     * Creates the topics that do not exist yet, with {@code replication} replicas, or the broker's default when empty;
     * returns the names created. On a secured cluster a principal sees only the topics it has ACLs for, and may
     * create none: the others are left alone (an administrator creates them, docs/configuration.md).
     */
    public static List<String> ensure(Admin admin, Optional<Short> replication)
            throws InterruptedException, ExecutionException {
        return ensure(admin, replication, Retention.DEFAULT);
    }

    /** As {@link #ensure(Admin, Optional)}, with {@code retention} for the topics it creates. */
    public static List<String> ensure(Admin admin, Optional<Short> replication, Retention retention)
            throws InterruptedException, ExecutionException {
        Set<String> existing = admin.listTopics().names().get();
        List<NewTopic> missing = new ArrayList<>();
        for (Topic<?> topic : ALL.stream().map(retention::apply).toList()) {
            if (!existing.contains(topic.name())) {
                missing.add(new NewTopic(topic.name(), Optional.of(topic.partitions()), replication).configs(topic.configs()));
            }
        }
        List<String> created = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (var result : admin.createTopics(missing).values().entrySet()) {
            try {
                result.getValue().get();
                created.add(result.getKey());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException
                        || e.getCause() instanceof ClusterAuthorizationException) {
                    // a secured cluster: this principal may neither see nor create the topic; an administrator
                    // creates Vigil's topics there, and the topics this principal uses it may see
                    refused.add(result.getKey());
                } else if (!(e.getCause() instanceof TopicExistsException)) {
                    // exists: another instance created it meanwhile, fine
                    throw e;
                }
            }
        }
        if (!refused.isEmpty()) {
            LOG.debug("topics not visible to this principal and not created: {}", refused);
        }
        awaitLeaders(admin, created);
        return created;
    }

    /** Names, at WARN, each existing topic that keeps records longer than {@code retention} asks. */
    private static void warnLongerRetention(Admin admin, Retention retention, List<String> created)
            throws InterruptedException, ExecutionException {
        List<ConfigResource> resources = ALL.stream().map(Topic::name)
                .filter(name -> retention.of(name) != null && !created.contains(name))
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
        if (resources.isEmpty()) {
            return;
        }
        Map<ConfigResource, Config> configs;
        try {
            configs = admin.describeConfigs(resources).all().get();
        } catch (ExecutionException e) {
            // not allowed to read topic configs (ACLs): the creation above is what matters
            LOG.debug("cannot compare the topics' retention: {}", e.getCause().toString());
            return;
        }
        configs.forEach((resource, config) -> {
            ConfigEntry entry = config.get("retention.ms");
            long asked = Long.parseLong(retention.of(resource.name()));
            long actual;
            try {
                actual = entry == null || entry.value() == null ? -1 : Long.parseLong(entry.value());
            } catch (NumberFormatException e) {
                return;
            }
            if (actual < 0 || actual > asked) {
                LOG.warn("topic {} keeps records {} but {} is asked: change it with kafka-configs.sh --alter "
                                + "--entity-type topics --entity-name {} --add-config retention.ms={}", resource.name(),
                        actual < 0 ? "for ever" : java.time.Duration.ofMillis(actual),
                        java.time.Duration.ofMillis(asked), resource.name(), asked);
            }
        });
    }

    /**
     * Waits (up to 30 s) until every partition of the new topics has a leader: an idempotent producer that writes
     * to a partition whose leadership is still settling gets NOT_LEADER, then OUT_OF_ORDER_SEQUENCE on every retry.
     */
    private static void awaitLeaders(Admin admin, List<String> topics) throws InterruptedException, ExecutionException {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            boolean ready;
            try {
                ready = admin.describeTopics(topics).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
            } catch (ExecutionException e) {
                // just created: the broker may not know the topic yet
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                    throw e;
                }
                ready = false;
            }
            if (ready || System.nanoTime() > deadline) {
                return;
            }
            Thread.sleep(50);
        }
    }
}
