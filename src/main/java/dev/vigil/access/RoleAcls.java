package dev.vigil.access;

import dev.vigil.stream.Topic;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DELETE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;

/**
 * The one definition of what each {@link Role} may do on Kafka, used by {@code vigil acl}, {@code vigil broker
 * --secure} and the deploy files' topics job (docs/configuration.md, "Roles and their ACLs"). Everything is allowed
 * by name (literal topics of {@link Topics}), except what a role names itself: the scorer's internal topics and
 * transactional ids (prefixed by its application id) and a subscriber's consumer groups (its group prefix).
 *
 * <p>No role may create Vigil's topics: on a secured cluster an administrator (a super user) creates them once
 * (the topics job, {@code vigil broker --secure}); {@link Topics#ensure} then finds them, or leaves alone those it
 * may not create. Every read is of assigned partitions without a consumer group, except the scorer's (Kafka
 * Streams) and a subscriber's own consumers.
 */
public final class RoleAcls {
    /** The scorer's application id when none is given: {@code vigil serve}'s default. */
    public static final String DEFAULT_APPLICATION_ID = "vigil-scorer";
    /** The consumer-group prefix of an alert subscriber when none is given. */
    public static final String DEFAULT_GROUP_PREFIX = "vigil-alerts-";

    /**
     * @param applicationId the scorer's Kafka Streams application id (its group, internal topics, transactional ids)
     * @param groupPrefix   consumer groups an alert subscriber may use
     * @param autoLearn     the scorer publishes models itself, those it learns ({@code serve --auto-learn}) and those
     *                      it refines from operators' feedback: it may also write the models topic and read camera
     *                      status
     */
    public record Options(String applicationId, String groupPrefix, boolean autoLearn) {
        public static final Options DEFAULTS = new Options(DEFAULT_APPLICATION_ID, DEFAULT_GROUP_PREFIX, false);

        public Options {
            if (applicationId == null || applicationId.isBlank() || groupPrefix == null || groupPrefix.isBlank()) {
                throw new IllegalArgumentException("the application id and the group prefix must not be empty");
            }
        }
    }

    private RoleAcls() {
    }

    /** The ACLs that let {@code principal} (e.g. "User:scorer") act as {@code role}, in a fixed order. */
    public static List<AclBinding> of(Role role, String principal, Options options) {
        if (!principal.matches("[A-Za-z]+:.+")) {
            throw new IllegalArgumentException("a principal is <type>:<name>, e.g. User:scorer; got '" + principal + "'");
        }
        Grants g = new Grants(principal);
        switch (role) {
            case INGEST -> {
                g.topic(Topics.FRAMES, WRITE, DESCRIBE);
                g.topic(Topics.CAMERA_STATUS, WRITE, DESCRIBE);
            }
            case SCORER -> {
                g.topic(Topics.FRAMES, READ, DESCRIBE);
                // operators' confirmations, which it refines models from (publishing them needs autoLearn's grants)
                g.topic(Topics.FEEDBACK, READ, DESCRIBE);
                g.topic(Topics.MODELS, options.autoLearn() ? new AclOperation[]{READ, WRITE, DESCRIBE}
                        : new AclOperation[]{READ, DESCRIBE});
                for (Topic out : List.of(Topics.ANOMALY_MAPS, Topics.ALERTS, Topics.SNAPSHOTS, Topics.SHADOW,
                        Topics.DEAD_LETTERS)) {
                    g.topic(out, WRITE, DESCRIBE);
                }
                // its learner reads which version the scorer took before retiring old ones
                g.topic(Topics.CAMERA_STATUS, options.autoLearn() ? new AclOperation[]{READ, WRITE, DESCRIBE}
                        : new AclOperation[]{WRITE, DESCRIBE});
                String app = options.applicationId();
                g.add(ResourceType.GROUP, app, PatternType.LITERAL, READ);
                // Kafka Streams' changelogs (and repartition topics, were there any), purged with delete records
                g.add(ResourceType.TOPIC, app + "-", PatternType.PREFIXED, READ, WRITE, CREATE, DESCRIBE,
                        DESCRIBE_CONFIGS, DELETE);
                // exactly_once_v2: <application id>-<process id>-<thread>
                g.add(ResourceType.TRANSACTIONAL_ID, app + "-", PatternType.PREFIXED, WRITE, DESCRIBE);
            }
            case MODEL_OPERATOR -> {
                g.topic(Topics.MODELS, READ, WRITE, DESCRIBE);
                // learn, calibrate and auto-learn read frames; list reads the scorer's status; compare the shadow
                g.topic(Topics.FRAMES, READ, DESCRIBE);
                g.topic(Topics.CAMERA_STATUS, READ, DESCRIBE);
                g.topic(Topics.SHADOW, READ, DESCRIBE);
                // feedback normal: reads the alert confirmed, writes the confirmation
                g.topic(Topics.ALERTS, READ, DESCRIBE);
                g.topic(Topics.FEEDBACK, WRITE, DESCRIBE);
            }
            case ALERT_SUBSCRIBER -> {
                g.topic(Topics.ALERTS, READ, DESCRIBE);
                g.topic(Topics.SNAPSHOTS, READ, DESCRIBE);
                g.add(ResourceType.GROUP, options.groupPrefix(), PatternType.PREFIXED, READ);
            }
            case DASHBOARD -> {
                for (Topic in : List.of(Topics.ANOMALY_MAPS, Topics.FRAMES, Topics.ALERTS, Topics.SNAPSHOTS,
                        Topics.CAMERA_STATUS)) {
                    g.topic(in, READ, DESCRIBE);
                }
                // the model versions page reads the models topic; "activate" writes an activation record to it
                g.topic(Topics.MODELS, READ, WRITE, DESCRIBE);
                // "normal" on an alert writes an operator's confirmation
                g.topic(Topics.FEEDBACK, WRITE, DESCRIBE);
            }
        }
        return List.copyOf(g.bindings);
    }

    /**
     * Creates the bindings (those that exist already are left as they are) and waits, up to 30 s, until the broker
     * answered through enforces them: ACLs reach the brokers through the metadata log, a moment after they are
     * created.
     */
    public static void apply(Admin admin, Collection<AclBinding> bindings)
            throws InterruptedException, ExecutionException {
        admin.createAcls(bindings).all().get();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!admin.describeAcls(AclBindingFilter.ANY).values().get().containsAll(bindings)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** One binding as a line: {@code ALLOW User:scorer READ TOPIC vigil.frames (literal) from *}. */
    public static String describe(AclBinding b) {
        AccessControlEntry e = b.entry();
        ResourcePattern p = b.pattern();
        return e.permissionType() + " " + e.principal() + " " + e.operation() + " " + p.resourceType() + " "
                + p.name() + " (" + p.patternType().name().toLowerCase(java.util.Locale.ROOT) + ") from " + e.host();
    }

    private static final class Grants {
        final String principal;
        final List<AclBinding> bindings = new ArrayList<>();

        Grants(String principal) {
            this.principal = principal;
        }

        void topic(Topic topic, AclOperation... operations) {
            add(ResourceType.TOPIC, topic.name(), PatternType.LITERAL, operations);
        }

        void add(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
            for (AclOperation op : operations) {
                bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
            }
        }
    }
}
