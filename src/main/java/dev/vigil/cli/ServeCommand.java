package dev.vigil.cli;

import dev.vigil.alerting.AlertPolicy;
import dev.vigil.backbone.BackboneManifest;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import dev.vigil.web.Access;
import dev.vigil.web.AllowedHosts;
import dev.vigil.web.DashboardApi;
import dev.vigil.web.DashboardFeed;
import dev.vigil.web.Health;
import dev.vigil.web.WebServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the scoring topology: frames in, anomaly maps, alerts and dead letters out, each camera "
                + "scored with its published model. Instances with the same --application-id share the cameras.")
public class ServeCommand implements Callable<Integer> {
    /** The exit code of an instance that failed ({@link ScoringService#failure()}): EX_SOFTWARE of sysexits.h. */
    static final int FAILED_EXIT_CODE = 70;

    @Option(names = "--backbone", paramLabel = "<backbone>", description = "The backbone the models were fitted "
            + "with: " + EngineOptions.BACKBONE_SOURCES)
    Path backbone;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "Execution provider (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Most frames per backbone batch, across cameras (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--linger-ms", paramLabel = "MS", defaultValue = "20",
            description = "How long a batch waits for more frames after its first (default: ${DEFAULT-VALUE})")
    long lingerMs;

    @Option(names = "--state-dir", paramLabel = "<dir>", defaultValue = "target/vigil-state",
            description = "This instance's state stores (default: ${DEFAULT-VALUE})")
    Path stateDir;

    @Option(names = "--application-id", paramLabel = "<id>", defaultValue = "vigil-scorer",
            description = "Kafka Streams application id; instances sharing it share the cameras (default: ${DEFAULT-VALUE})")
    String applicationId;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Stream threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--standby-replicas", paramLabel = "N", defaultValue = "0",
            description = "Warm copies of each camera's state on other instances (default: ${DEFAULT-VALUE})")
    int standbyReplicas;

    @Option(names = "--instance-id", paramLabel = "<id>", defaultValue = "${env:VIGIL_INSTANCE_ID}",
            description = "Static group membership: an id unique to this instance and stable across its restarts (a "
                    + "StatefulSet pod's name). A restart within --session-timeout gets the same cameras back with no "
                    + "rebalance; a crashed instance's cameras move after it (default: $VIGIL_INSTANCE_ID, else "
                    + "dynamic membership)")
    String instanceId;

    @Option(names = "--session-timeout", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "How long the group waits for a silent instance before its cameras move to the others; "
                    + "session.timeout.ms in --kafka-config wins (ISO-8601, default: ${DEFAULT-VALUE})")
    Duration sessionTimeout;

    @Option(names = "--transaction-timeout", paramLabel = "DURATION", defaultValue = "PT30S",
            description = "exactly_once_v2: how long a crashed instance's open transaction holds back its cameras' "
                    + "new owner; a transaction open longer is aborted and redone, as one held open by a scoring backlog "
                    + "or a large model's chunks can be. Lower for a faster failover (ISO-8601, default: "
                    + "${DEFAULT-VALUE})")
    Duration transactionTimeout;

    @Option(names = "--at-least-once",
            description = "at_least_once instead of the default exactly_once_v2 (faster commits, duplicates after a crash)")
    boolean atLeastOnce;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "Frames a partition may have queued for scoring before it waits (default: ${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(names = "--max-live-age", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "Live frames older than this on arrival are skipped and counted; replayed footage never is "
                    + "(ISO-8601, default: ${DEFAULT-VALUE})")
    Duration maxLiveAge;

    @Option(names = "--max-cameras", paramLabel = "N", defaultValue = "1000",
            description = "Cameras this instance scores at most; frames of further cameras go to dead letters, so "
                    + "that a flood of new keys cannot grow its models, state and metrics (default: ${DEFAULT-VALUE})")
    int maxCameras;

    @Option(names = "--max-frame-pixels", paramLabel = "N", defaultValue = "8294400",
            description = "Most pixels a frame may declare in its PNG or JPEG header; larger frames go to dead letters "
                    + "without being decoded (default: ${DEFAULT-VALUE}, 3840 x 2160)")
    long maxFramePixels;

    @Option(names = "--max-frame-attempts", paramLabel = "N", defaultValue = "2",
            description = "Times a frame may be in flight when this instance dies before it is taken for poison and "
                    + "sent to dead letters instead of being scored again (default: ${DEFAULT-VALUE})")
    int maxFrameAttempts;

    @Option(names = "--open-after", paramLabel = "K", defaultValue = "3",
            description = "Consecutive frames above threshold that open an alert (default: ${DEFAULT-VALUE})")
    int openAfter;

    @Option(names = "--close-after", paramLabel = "M", defaultValue = "5",
            description = "Consecutive frames below threshold that end it (default: ${DEFAULT-VALUE})")
    int closeAfter;

    @Option(names = "--cooldown", paramLabel = "FRAMES", defaultValue = "10",
            description = "Frames after an alert ends before another may open (default: ${DEFAULT-VALUE})")
    int cooldown;

    @Option(names = "--update-every", paramLabel = "FRAMES", defaultValue = "25",
            description = "An open alert sends an update at least this often, and on every new peak (default: ${DEFAULT-VALUE})")
    int updateEvery;

    @Option(names = "--min-region-area", paramLabel = "PIXELS", defaultValue = "16",
            description = "Smallest anomalous region that gets a box, in map pixels (default: ${DEFAULT-VALUE})")
    int minRegionArea;

    @Option(names = "--stats-every", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "How often a stats line is printed (default: ${DEFAULT-VALUE})")
    Duration statsEvery;

    @Option(names = "--http-port", paramLabel = "<port>", defaultValue = "8080",
            description = "Port of the health checks " + Health.LIVE_PATH + " and " + Health.READY_PATH
                    + ", the Prometheus metrics " + WebServer.METRICS_PATH + " and the dashboard / (0: none; "
                    + "default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--http-host", paramLabel = "<host>",
            description = "Address the HTTP listener binds to: a host name or IP address, 0.0.0.0 for all interfaces "
                    + "(default: all interfaces; localhost with --no-auth). A name given here is one the dashboard "
                    + "answers to")
    String httpHost;

    @Mixin
    LearningOptions learning;

    @Mixin
    DashboardOptions dashboard;

    @Mixin
    RetentionOptions retention;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--dashboard-kafka-config", paramLabel = "<file>",
            description = "Kafka client settings for the dashboard alone, as its own principal (role dashboard), so "
                    + "that the scorer's principal need not have the dashboard's ACLs (default: --kafka-config's)")
    java.nio.file.Path dashboardKafkaConfig;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ScoringSettings settings = new ScoringSettings(maxInFlight, maxLiveAge,
                new AlertPolicy(openAfter, closeAfter, cooldown, updateEvery, AlertPolicy.DEFAULT.peakRise()),
                minRegionArea, ScoringSettings.DEFAULT.maxBoxes());
        settings = learning.apply(settings);
        try {
            settings = settings.withLimits(new ScoringSettings.Limits(maxCameras, maxFrameAttempts));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--max-cameras and --max-frame-attempts: "
                    + e.getMessage());
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--http-port must be a port number (1-65535), or 0 for "
                    + "no health checks; got " + httpPort);
        }
        if (maxFramePixels < 1) {
            throw new ParameterException(spec.commandLine(), "--max-frame-pixels must be at least 1, got "
                    + maxFramePixels);
        }
        ScoringSettings finalSettings = settings;
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        var topicRetention = retention.retention();
        Access access = dashboard.access();
        // the name the listener was bound by is one the operator opens it by; IP addresses are allowed anyway
        AllowedHosts hosts = dashboard.allowedHosts(httpHost != null && httpHost.matches(".*[A-Za-z].*")
                && !httpHost.contains(":") ? List.of(httpHost) : List.of());
        var kafkaConnection = kafka.connection();
        PrometheusMeterRegistry metrics = Metrics.registry();
        // up before the backbone loads, so that a liveness probe sees a process that is starting, not a dead one
        AtomicReference<ScoringService> running = new AtomicReference<>();
        var dashboardConnection = dashboardKafkaConfig == null ? kafkaConnection
                : dev.vigil.stream.KafkaConnection.of(kafka.bootstrap, dashboardKafkaConfig);
        DashboardFeed feed = httpPort == 0 || access == null ? null : DashboardFeed.start(dashboardConnection);
        if (httpPort != 0 && access == null) {
            org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn("dashboard off: no token (set $"
                    + DashboardOptions.TOKEN_ENV + " or --dashboard-token-file, or --no-auth for local use)");
        }
        WebServer health;
        try {
            health = httpPort == 0 ? null : WebServer.start(httpAddress(access),
                    new Health(() -> liveness(running.get()), () -> readiness(running.get())), metrics,
                    feed == null ? null : new DashboardApi(feed, dashboardConnection), access, hosts);
        } catch (java.io.IOException | RuntimeException e) {
            if (feed != null) {
                feed.close();
            }
            throw e;
        }
        try (OnnxBackbone bb = OnnxBackbone.load(BackboneManifest.read(EngineOptions.locate(backbone)),
                EngineOptions.device(device));
             ScoringEngine engine = new ScoringEngine(bb, batch, Duration.ofMillis(lingerMs), maxFramePixels);
             ScoringService service = withTopics(kafkaConnection, topicRetention, () -> ScoringService.start(
                     kafkaConnection, engine, bb.manifest().name(), finalSettings,
                     new ScoringService.Options(applicationId, stateDir, threads, standbyReplicas, !atLeastOnce,
                             instanceId == null || instanceId.isBlank() ? null : instanceId, sessionTimeout,
                             transactionTimeout),
                     finalSettings.autoLearn() == null ? null : learning.learner(bb, kafkaConnection),
                     new dev.vigil.learning.MemoryRefiner(bb, kafkaConnection), metrics))) {
            running.set(service);
            // an Error on a scoring or stream thread: stop now and exit non-zero, for the orchestrator to restart us
            service.onFailure(e -> stopped.countDown());
            // on SIGTERM: let this thread close everything in order (a clean close commits what was scored)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stopped.countDown();
                try {
                    closed.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "vigil-serve-shutdown"));
            out.printf("scoring on %s as %s (state in %s, %s, batch %d, linger %d ms%s); Ctrl-C stops%n",
                    kafka.bootstrap, applicationId, stateDir, atLeastOnce ? "at_least_once" : "exactly_once_v2", batch,
                    lingerMs, settings.autoLearn() == null ? "" : ", cameras with no model learn one");
            out.flush();
            while (!stopped.await(statsEvery.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                out.printf("%s: %s%n", service.state(), service.stats().summary());
                out.flush();
            }
            if (service.failure() != null) {
                spec.commandLine().getErr().printf("error: scoring failed and this instance stops: %s%n",
                        service.failure());
                return FAILED_EXIT_CODE;
            }
        } finally {
            running.set(null);
            if (health != null) {
                health.close();
            }
            if (feed != null) {
                feed.close();
            }
            closed.countDown();
        }
        return 0;
    }

    /** The topics first, those missing created with the retention asked for; the scorer's own check then finds them. */
    private static ScoringService withTopics(dev.vigil.stream.KafkaConnection kafka, dev.vigil.stream.Retention retention,
                                             Callable<ScoringService> start) throws Exception {
        dev.vigil.stream.Topics.ensure(kafka, retention);
        return start.call();
    }

    /**
     * Where the listener binds: {@code --http-host}, else all interfaces, or localhost only when the dashboard is
     * open with no authentication. An open dashboard is said at WARN either way.
     */
    InetSocketAddress httpAddress(Access access) {
        InetSocketAddress address = httpHost != null ? new InetSocketAddress(httpHost, httpPort)
                : access != null && access.isOpen()
                ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), httpPort)
                : new InetSocketAddress(httpPort);
        if (httpHost != null && address.isUnresolved()) {
            throw new ParameterException(spec.commandLine(), "--http-host " + httpHost + " is no address of this "
                    + "machine (it does not resolve)");
        }
        if (access != null && access.isOpen()) {
            org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServeCommand.class);
            if (address.getAddress().isLoopbackAddress()) {
                log.warn("dashboard open with no authentication (--no-auth), to this machine only: listening on {}:{}"
                        + "; --http-host binds elsewhere, and the Kubernetes probes need it", address.getHostString(),
                        httpPort);
            } else {
                log.warn("dashboard open with no authentication (--no-auth) to anyone who can reach {}:{}: anyone "
                        + "there can watch the cameras, acknowledge alerts and activate models",
                        address.getHostString(), httpPort);
            }
        }
        return address;
    }

    /**
     * Live while Kafka Streams can still recover by itself and nothing fatal happened: ERROR, or an Error on a scoring
     * or stream thread ({@link ScoringService#failure()}), needs a new process (docs/operations.md).
     */
    static Health.Check liveness(ScoringService service) {
        if (service == null) {
            return new Health.Check(true, Map.of("state", "STARTING"));
        }
        KafkaStreams.State state = service.state();
        Throwable failure = service.failure();
        if (failure != null) {
            return new Health.Check(false, Map.of("state", state.name(), "error", String.valueOf(failure)));
        }
        return new Health.Check(state != KafkaStreams.State.ERROR && state != KafkaStreams.State.PENDING_ERROR,
                Map.of("state", state.name()));
    }

    /**
     * Ready once Kafka Streams is RUNNING: its tasks are assigned and their state restored. Models are not waited for:
     * a camera whose model is not published yet is a normal state, and would keep the instance unready for ever.
     */
    static Health.Check readiness(ScoringService service) {
        if (service == null) {
            return new Health.Check(false, Map.of("state", "STARTING"));
        }
        KafkaStreams.State state = service.state();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", state.name());
        details.put("models_loaded", service.stats().modelsLoaded());
        details.put("scored", service.stats().scored());
        if (service.failure() != null) {
            details.put("error", String.valueOf(service.failure()));
        }
        return new Health.Check(state == KafkaStreams.State.RUNNING && service.failure() == null, details);
    }
}
