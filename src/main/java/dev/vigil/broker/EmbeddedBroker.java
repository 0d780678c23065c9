package dev.vigil.broker;

import dev.vigil.files.PrivateFiles;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
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
 * and reused after, so topics and offsets survive a restart.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    public static final int DEFAULT_PORT = 9092;

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path dataDir;

    private EmbeddedBroker(KafkaRaftServer server, String bootstrap, Path dataDir) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.dataDir = dataDir;
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
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        props.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
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
        KafkaConfig config = new KafkaConfig(props, false);
        format(logDir, 1, Uuid.randomUuid().toString());
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        LOG.info("Kafka broker (KRaft, single node) on {}, data in {}", bootstrap, logDir);
        return new EmbeddedBroker(server, bootstrap, dataDir);
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

    /** The broker as clients reach it: plaintext, no further settings. */
    public dev.vigil.stream.KafkaConnection connection() {
        return dev.vigil.stream.KafkaConnection.plain(bootstrap);
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
