package dev.vigil.broker;

import dev.vigil.files.PrivateFiles;
import dev.vigil.stream.KafkaConnection;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real multi-node Kafka cluster (KRaft) in-process, from Kafka's own server artifacts, configured as a production
 * cluster is (deploy/): every node both broker and controller, topics with {@code replication} replicas and
 * {@code minIsr} in sync for a write, the internal offsets and transaction topics likewise. A node can be stopped
 * and started again while the others serve, to show that losing one loses nothing. {@link EmbeddedBroker} stays
 * the fast single-node path.
 */
public final class EmbeddedCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCluster.class);

    private final List<Map<String, Object>> configs;
    private final List<KafkaRaftServer> servers;
    private final String bootstrap;

    private EmbeddedCluster(List<Map<String, Object>> configs, List<KafkaRaftServer> servers, String bootstrap) {
        this.configs = configs;
        this.servers = servers;
        this.bootstrap = bootstrap;
    }

    /**
     * Starts {@code nodes} nodes on free ports with their data under {@code dataDir/node-<id>} (ids from 1).
     *
     * @param replication the default replication factor of topics, internal ones included
     * @param minIsr      replicas that must have a write before it is acknowledged (acks=all)
     */
    public static EmbeddedCluster start(Path dataDir, int nodes, int replication, int minIsr) throws IOException {
        if (replication > nodes || minIsr > replication || minIsr < 1) {
            throw new IllegalArgumentException("a cluster of " + nodes + " nodes cannot have replication "
                    + replication + " with min ISR " + minIsr);
        }
        int[] brokerPorts = new int[nodes];
        int[] controllerPorts = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            brokerPorts[i] = EmbeddedBroker.freePort();
            controllerPorts[i] = EmbeddedBroker.freePort();
        }
        String voters = IntStream.range(0, nodes).mapToObj(i -> (i + 1) + "@localhost:" + controllerPorts[i])
                .collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        List<Map<String, Object>> configs = new ArrayList<>();
        // the logs hold the frames: owner-only, whatever modes Kafka gives the files inside
        PrivateFiles.ownDirectory(dataDir);
        for (int i = 0; i < nodes; i++) {
            Path dir = dataDir.resolve("node-" + (i + 1));
            PrivateFiles.ownDirectory(dir);
            String logDir = dir.toAbsolutePath().toString();
            Map<String, Object> props = new HashMap<>();
            props.put("process.roles", "broker,controller");
            props.put("node.id", String.valueOf(i + 1));
            props.put("controller.quorum.voters", voters);
            props.put("listeners", "PLAINTEXT://localhost:" + brokerPorts[i] + ",CONTROLLER://localhost:"
                    + controllerPorts[i]);
            props.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPorts[i]);
            props.put("controller.listener.names", "CONTROLLER");
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("log.dirs", logDir);
            props.put("default.replication.factor", String.valueOf(replication));
            props.put("min.insync.replicas", String.valueOf(minIsr));
            props.put("offsets.topic.replication.factor", String.valueOf(replication));
            props.put("transaction.state.log.replication.factor", String.valueOf(replication));
            props.put("transaction.state.log.min.isr", String.valueOf(minIsr));
            props.put("share.coordinator.state.topic.replication.factor", String.valueOf(replication));
            props.put("share.coordinator.state.topic.min.isr", String.valueOf(minIsr));
            // a test cluster: a few partitions of the internal topics, not 50, so that groups and transactions
            // start in seconds
            props.put("offsets.topic.num.partitions", "3");
            props.put("transaction.state.log.num.partitions", "3");
            props.put("group.initial.rebalance.delay.ms", "0");
            props.put("message.max.bytes", String.valueOf(8 << 20));
            props.put("replica.fetch.max.bytes", String.valueOf(8 << 20));
            EmbeddedBroker.format(logDir, i + 1, clusterId);
            configs.add(props);
        }
        List<KafkaRaftServer> servers = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            servers.add(null);
        }
        String bootstrap = IntStream.range(0, nodes).mapToObj(i -> "localhost:" + brokerPorts[i])
                .collect(Collectors.joining(","));
        EmbeddedCluster cluster = new EmbeddedCluster(configs, servers, bootstrap);
        // together: a node's start waits for a quorum of controllers
        cluster.eachNode(cluster::startNode);
        LOG.info("Kafka cluster (KRaft, {} nodes, replication {}, min ISR {}) on {}", nodes, replication, minIsr,
                bootstrap);
        return cluster;
    }

    /** Starts node {@code id} (from 1) again on its data directory and ports. */
    public void startNode(int id) {
        KafkaRaftServer server;
        synchronized (this) {
            if (servers.get(id - 1) != null) {
                throw new IllegalStateException("node " + id + " is running");
            }
            server = new KafkaRaftServer(new KafkaConfig(configs.get(id - 1), false), Time.SYSTEM);
            servers.set(id - 1, server);
        }
        // outside the lock: it waits for the other nodes to start
        server.startup();
    }

    /** Shuts node {@code id} (from 1) down, as a stopped broker process: its partitions' leadership moves. */
    public void stopNode(int id) {
        KafkaRaftServer server;
        synchronized (this) {
            server = servers.set(id - 1, null);
        }
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            LOG.info("Kafka node {} stopped", id);
        }
    }

    /** host:port of every node, for clients. */
    public String bootstrap() {
        return bootstrap;
    }

    public KafkaConnection connection() {
        return KafkaConnection.plain(bootstrap);
    }

    @Override
    public void close() {
        // together: the last nodes would otherwise wait for a quorum that has gone
        eachNode(this::stopNode);
    }

    /** Runs the action for every node at once, one thread each (the common pool may have a single thread). */
    private void eachNode(java.util.function.IntConsumer action) {
        ExecutorService threads = Executors.newFixedThreadPool(servers.size());
        try {
            CompletableFuture.allOf(IntStream.rangeClosed(1, servers.size())
                    .mapToObj(id -> CompletableFuture.runAsync(() -> action.accept(id), threads))
                    .toArray(CompletableFuture[]::new)).join();
        } finally {
            threads.shutdown();
        }
    }
}
