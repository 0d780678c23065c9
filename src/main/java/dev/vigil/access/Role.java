package dev.vigil.access;

import java.util.Arrays;
import java.util.Locale;

/**
 * The parts of a Vigil deployment that talk to Kafka, each its own principal with the ACLs of {@link RoleAcls}: a
 * stolen credential of one reaches only what that part needs.
 */
public enum Role {
    /** {@code vigil ingest} and {@code vigil replay}: cameras' frames and their online/offline status in. */
    INGEST("ingest"),
    /** {@code vigil serve}'s Kafka Streams application: frames and models in; maps, alerts and the rest out. */
    SCORER("scorer"),
    /** {@code vigil model publish|activate|shadow|list|compare|calibrate}, {@code learn}, {@code auto-learn}. */
    MODEL_OPERATOR("model-operator"),
    /** {@code vigil alerts} and other alert consumers: alerts and their snapshots, nothing else. */
    ALERT_SUBSCRIBER("alert-subscriber"),
    /** The dashboard of {@code vigil serve}: what it shows, and an activation record when an operator activates. */
    DASHBOARD("dashboard");

    private final String id;

    Role(String id) {
        this.id = id;
    }

    /** The role's name on the command line and in deploy files, and its default principal's name. */
    public String id() {
        return id;
    }

    public static Role parse(String id) {
        return Arrays.stream(values()).filter(r -> r.id.equals(id.toLowerCase(Locale.ROOT))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown role '" + id + "'; roles: "
                        + String.join(", ", Arrays.stream(values()).map(Role::id).toList())));
    }

    @Override
    public String toString() {
        return id;
    }
}
