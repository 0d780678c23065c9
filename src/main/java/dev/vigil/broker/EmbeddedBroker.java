package dev.vigil.broker;

import dev.vigil.files.PrivateFiles;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import dev.vigil.access.Role;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) run in-process from Kafka's own
 * server artifacts: for {@code vigil broker}, the demo and the tests. Its data directory is formatted on first use
 * and reused after, so topics and offsets survive a restart. {@link #startSecure} runs it with TLS, SASL and ACLs.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    public static final int DEFAULT_PORT = 9092;

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path dataDir;
    /** null for a plaintext broker */
    private final BrokerSecurity security;
    private final String mtlsBootstrap;

    private EmbeddedBroker(KafkaRaftServer server, String bootstrap, Path dataDir, BrokerSecurity security,
                           String mtlsBootstrap) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.dataDir = dataDir;
        this.security = security;
        this.mtlsBootstrap = mtlsBootstrap;
    }

    /**
     * Starts a broker listening on {@code localhost:port} (0: any free port), storing its logs under {@code dataDir}.
     */
    public static EmbeddedBroker start(Path dataDir, int port) throws IOException {
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        // the logs hold the frames: owner-only, whatever modes Kafka gives the files inside
        PrivateFiles.ownDirectory(dataDir);
        String logDir = dataDir.toAbsolutePath().toString();
        Map<String, Object> props = settings(logDir, controllerPort);
        props.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        KafkaRaftServer server = launch(props, logDir);
        String bootstrap = "localhost:" + brokerPort;
        LOG.info("Kafka broker (KRaft, single node) on {}, data in {}", bootstrap, logDir);
        return new EmbeddedBroker(server, bootstrap, dataDir, null, null);
    }

    /**
     * Starts a secured broker (see {@link BrokerSecurity}): SASL_SSL with SCRAM-SHA-512 on {@code localhost:port},
     * and mutual TLS on {@code localhost:mtlsPort} unless it is -1 (0: any free port); ACLs enforced by Kafka's
     * StandardAuthorizer, with a user, a certificate and the ACLs of every {@link Role}, and their client settings
     * files under {@code dataDir/clients}. The logs go to {@code dataDir/kafka}; certificates and passwords are made
     * afresh at every start.
     */
    public static EmbeddedBroker startSecure(Path dataDir, int port, int mtlsPort) throws IOException {
        int brokerPort = port == 0 ? freePort() : port;
        int mtls = mtlsPort == 0 ? freePort() : mtlsPort;
        int internalPort = freePort();
        int controllerPort = freePort();
        Files.createDirectories(dataDir);
        BrokerSecurity security = BrokerSecurity.create(dataDir);
        Path logs = dataDir.resolve("kafka");
        Files.createDirectories(logs);
        String logDir = logs.toAbsolutePath().toString();
        Map<String, Object> props = settings(logDir, controllerPort);
        props.putAll(security.brokerConfig(brokerPort, mtls, internalPort, controllerPort));
        KafkaRaftServer server = launch(props, logDir);
        String bootstrap = "localhost:" + brokerPort;
        String mtlsBootstrap = mtls > 0 ? "localhost:" + mtls : null;
        EmbeddedBroker broker = new EmbeddedBroker(server, bootstrap, dataDir, security, mtlsBootstrap);
        try {
            security.provision(security.internal("localhost:" + internalPort), bootstrap, mtlsBootstrap);
        } catch (IOException | InterruptedException | RuntimeException e) {
            broker.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        LOG.info("Kafka broker (KRaft, single node, SASL_SSL{}) on {}, data in {}",
                mtlsBootstrap == null ? "" : " and mutual TLS on " + mtlsBootstrap, bootstrap, logDir);
        return broker;
    }

    /** What every single-node broker here is: one node, broker and controller. */
    private static Map<String, Object> settings(String logDir, int controllerPort) {
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        props.put("log.dirs", logDir);
        // one node: every internal topic has one replica
        props.put("offsets.topic.replication.factor", "1");
        // one node: the 50 partitions of the default offsets and transaction topics only slow the first group join
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // models are chunked below this; frames and maps are far smaller
        props.put("message.max.bytes", String.valueOf(8 << 20));
        return props;
    }

    private static KafkaRaftServer launch(Map<String, Object> props, String logDir) throws IOException {
        KafkaConfig config = new KafkaConfig(props, false);
        format(logDir, 1, Uuid.randomUuid().toString());
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        return server;
    }

    /** Formats the data directory unless it already holds this node's metadata. */
    static void format(String logDir, int nodeId, String clusterId) throws IOException {
        if (Files.isRegularFile(Path.of(logDir, "meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(nodeId)
                    .setClusterId(clusterId)
                    .setDirectories(java.util.List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setControllerListenerName("CONTROLLER")
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IOException("cannot format the Kafka data directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** host:port for clients. */
    public String bootstrap() {
        return bootstrap;
    }

    /**
     * The broker as clients reach it: plaintext with no further settings, or on a secured broker as {@code admin}
     * (a super user, for creating topics) over SASL_SSL.
     */
    public dev.vigil.stream.KafkaConnection connection() {
        return security == null ? dev.vigil.stream.KafkaConnection.plain(bootstrap)
                : new dev.vigil.stream.KafkaConnection(bootstrap, security.scram(BrokerSecurity.ADMIN));
    }

    /** A secured broker as {@code role} over SASL_SSL (SCRAM-SHA-512), as its client settings file says. */
    public dev.vigil.stream.KafkaConnection connection(Role role) {
        return new dev.vigil.stream.KafkaConnection(bootstrap, secured().scram(role.id()));
    }

    /** A secured broker as {@code role} over mutual TLS, with the role's certificate. */
    public dev.vigil.stream.KafkaConnection mtlsConnection(Role role) {
        if (mtlsBootstrap == null) {
            throw new IllegalStateException("this broker has no mutual-TLS listener");
        }
        return new dev.vigil.stream.KafkaConnection(mtlsBootstrap, secured().mutualTls(role.id()));
    }

    /** host:port of the mutual-TLS listener, or null when there is none. */
    public String mtlsBootstrap() {
        return mtlsBootstrap;
    }

    /**
     * The owner-only client settings file of {@code user} (a role's id or "admin"): SCRAM over SASL_SSL, or with
     * {@code mtls} its certificate over mutual TLS.
     */
    public Path clientConfig(String user, boolean mtls) {
        return secured().clientFile(user, mtls);
    }

    /** admin and every role: the users that have client settings files. */
    public static java.util.List<String> clientUsers() {
        return BrokerSecurity.users();
    }

    private BrokerSecurity secured() {
        if (security == null) {
            throw new IllegalStateException("this broker is not secured (start it with startSecure)");
        }
        return security;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Blocks until the broker shuts down. */
    public void awaitShutdown() {
        server.awaitShutdown();
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
