package dev.vigil.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.vigil.cli.VigilCommand;
import dev.vigil.web.Health;
import dev.vigil.ingest.CameraConfig;
import dev.vigil.stream.Topic;
import dev.vigil.stream.Topics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/ cannot run here (no Docker, no cluster), so its files are checked: every YAML file parses; the Kubernetes
 * manifests bind to the Kubernetes API's types (fabric8's model) with no field left over; the Compose file passes
 * a schema; and everything they say about Vigil is true of the code: each {@code vigil} command line parses with
 * the real picocli command, each VIGIL_ variable is one the code reads, the topics are those of {@link Topics}, and
 * the health checks use {@link Health}'s paths on serve's --http-port.
 */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final Path K8S = DEPLOY.resolve("k8s");
    private static final Path COMPOSE = DEPLOY.resolve("docker-compose.yml");
    private static final ObjectMapper STRICT = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Namespace", Namespace.class, "v1/Service", Service.class, "v1/ConfigMap", ConfigMap.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class, "apps/v1/StatefulSet", StatefulSet.class,
            "apps/v1/Deployment", Deployment.class, "batch/v1/Job", Job.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    // ---- parsing ----

    /** Every document of a YAML file, anchors and merge keys (<<) resolved as Compose and kubectl resolve them. */
    static List<Object> yaml(Path file) throws IOException {
        List<Object> docs = new ArrayList<>();
        try {
            new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file)).forEach(docs::add);
        } catch (RuntimeException e) {
            throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    static List<Path> files(Path dir, String... suffixes) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> Stream.of(suffixes).anyMatch(x -> p.getFileName().toString().endsWith(x)))
                    .sorted().toList();
        }
    }

    /** The Kubernetes manifests of a folder, not of its overlays nor kustomize's files, each bound to its API type. */
    static List<HasMetadata> manifests(Path dir) throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        for (Path file : files(dir, ".yaml").stream().filter(f -> f.getParent().equals(dir)).toList()) {
            for (Object doc : yaml(file)) {
                Map<?, ?> map = (Map<?, ?>) doc;
                if ("Kustomization".equals(map.get("kind"))) {
                    continue;
                }
                out.add(bind(file, map));
            }
        }
        return out;
    }

    static HasMetadata bind(Path file, Map<?, ?> doc) {
        String type = doc.get("apiVersion") + "/" + doc.get("kind");
        Class<? extends HasMetadata> cls = KINDS.get(type);
        assertThat(cls).as("%s: a manifest of %s, which this test does not know: add its fabric8 type to KINDS", file,
                type).isNotNull();
        HasMetadata resource;
        try {
            resource = STRICT.convertValue(doc, cls);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(file + ": " + type + " does not match the Kubernetes API: " + e.getMessage(), e);
        }
        // fabric8's types keep unknown fields in additionalProperties instead of failing: a misspelt field lands there
        List<String> unknown = new ArrayList<>();
        leftovers(resource, type + " " + resource.getMetadata().getName(), unknown);
        assertThat(unknown).as("%s: fields the Kubernetes API does not have", file).isEmpty();
        return resource;
    }

    static void leftovers(Object value, String path, List<String> unknown) {
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                leftovers(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> leftovers(v, path + "." + k, unknown));
            return;
        }
        if (value == null || !value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (!getter.getName().startsWith("get") || getter.getParameterCount() > 0
                    || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                unknown.add(path + ": " + getter.getName() + " failed: " + e.getCause());
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                String name = getter.getName().substring(3);
                leftovers(child, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), unknown);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> compose() throws IOException {
        // Compose substitutes ${VAR:-default} (here: the defaults) and $$ before it reads the file
        String text = Files.readString(COMPOSE).replaceAll("\\$\\{[A-Z_]+:-([^}]*)}", "$1").replace("$$", "$");
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    }

    // ---- syntax ----

    @Test
    void everyYamlFileInDeployParses() throws IOException {
        List<Path> files = files(DEPLOY, ".yaml", ".yml");
        assertThat(files).contains(COMPOSE, K8S.resolve("vigil-serve.yaml"));
        for (Path file : files) {
            assertThat(yaml(file)).as(file.toString()).isNotEmpty().doesNotContainNull();
        }
    }

    @Test
    void theKubernetesManifestsBindToTheKubernetesApiWithNoFieldLeftOver() throws IOException {
        List<HasMetadata> resources = manifests(K8S);
        assertThat(resources.stream().map(r -> r.getKind() + "/" + r.getMetadata().getName()))
                .contains("StatefulSet/kafka", "StatefulSet/vigil", "Service/vigil", "ConfigMap/vigil-config",
                        "PodDisruptionBudget/vigil", "Job/vigil-topics", "Deployment/vigil-ingest");
        assertThat(resources).filteredOn(r -> !(r instanceof Namespace))
                .allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).isEqualTo("vigil"));
    }

    @Test
    void theStrictBindingCatchesAMisspeltField() {
        Map<String, Object> doc = new LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "ConfigMap",
                "metadata", Map.of("name", "x", "namspace", "vigil")));
        try {
            bind(Path.of("example.yaml"), doc);
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains("namspace");
            return;
        }
        throw new AssertionError("a misspelt field was accepted");
    }

    @Test
    void kustomizeListsEveryManifestAndTheGpuPatchTargetsTheScorer() throws IOException {
        Map<?, ?> base = (Map<?, ?>) yaml(K8S.resolve("kustomization.yaml")).get(0);
        Set<String> listed = new TreeSet<>((List<String>) base.get("resources"));
        Set<String> present = files(K8S, ".yaml").stream().filter(p -> p.getParent().equals(K8S))
                .map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(listed).as("k8s/kustomization.yaml resources").isEqualTo(present);

        Map<?, ?> gpu = (Map<?, ?>) yaml(K8S.resolve("gpu/kustomization.yaml")).get(0);
        assertThat((List<String>) gpu.get("resources")).containsExactly("..");
        for (Object patch : (List<?>) gpu.get("patches")) {
            Path file = K8S.resolve("gpu").resolve((String) ((Map<?, ?>) patch).get("path"));
            StatefulSet patched = (StatefulSet) bind(file, (Map<?, ?>) yaml(file).get(0));
            assertThat(patched.getMetadata().getName()).isEqualTo("vigil");
            Container vigil = patched.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(vigil.getName()).isEqualTo("vigil");
            assertThat(vigil.getResources().getLimits()).containsKey("nvidia.com/gpu");
            parses(file + " container vigil", vigil.getArgs());
            assertThat(vigil.getArgs()).containsSequence("--device", "cuda");
        }
    }

    @Test
    void theComposeFileFollowsTheComposeSchema() throws IOException {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(
                Files.readString(Path.of("src/test/resources/deploy/compose-subset.schema.json")));
        List<Error> errors = schema.validate(new ObjectMapper().writeValueAsString(compose()), InputFormat.JSON);
        assertThat(errors).as("deploy/docker-compose.yml against the Compose schema").isEmpty();

        List<Error> bad = schema.validate("{\"services\": {\"a\": {\"imgae\": \"x\"}}}", InputFormat.JSON);
        assertThat(bad).as("a misspelt key is caught").isNotEmpty();
    }

    // ---- consistency with the code ----

    /** Parses a command line with the real picocli commands, without running it. */
    static void parses(String where, List<String> args) {
        try {
            new CommandLine(new VigilCommand()).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError(where + ": vigil " + String.join(" ", args) + " is refused: " + e.getMessage(), e);
        }
    }

    static List<Container> vigilContainers(List<HasMetadata> resources) {
        List<Container> out = new ArrayList<>();
        for (HasMetadata r : resources) {
            PodTemplateSpec pod = r instanceof StatefulSet s ? s.getSpec().getTemplate()
                    : r instanceof Deployment d ? d.getSpec().getTemplate()
                    : r instanceof Job j ? j.getSpec().getTemplate() : null;
            if (pod != null) {
                pod.getSpec().getContainers().stream().filter(c -> c.getImage().startsWith("vigil:")).forEach(out::add);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> composeServices() throws IOException {
        return (Map<String, Map<String, Object>>) compose().get("services");
    }

    /** The value after {@code option} in a command line, or the option's default in the real command. */
    static String option(List<String> args, String option) {
        int i = args.indexOf(option);
        if (i >= 0) {
            return args.get(i + 1);
        }
        CommandLine cli = new CommandLine(new VigilCommand()).getSubcommands().get(args.get(0));
        return cli.getCommandSpec().findOption(option).defaultValue();
    }

    @Test
    void everyVigilCommandLineInDeployIsAcceptedByTheRealCommand() throws IOException {
        int seen = 0;
        for (Container c : vigilContainers(manifests(K8S))) {
            parses("k8s container " + c.getName(), c.getArgs());
            seen++;
        }
        for (var service : composeServices().entrySet()) {
            if (String.valueOf(service.getValue().get("image")).startsWith("vigil:")) {
                parses("compose service " + service.getKey(), (List<String>) service.getValue().get("command"));
                seen++;
            }
        }
        for (Path dockerfile : List.of(DEPLOY.resolve("Dockerfile"), DEPLOY.resolve("Dockerfile.gpu"))) {
            parses(dockerfile.toString(), dockerCmd(dockerfile));
            seen++;
        }
        assertThat(seen).isGreaterThanOrEqualTo(9);
    }

    static List<String> dockerCmd(Path dockerfile) throws IOException {
        Matcher m = Pattern.compile("(?m)^CMD (\\[.*])$").matcher(Files.readString(dockerfile));
        assertThat(m.find()).as("%s has a CMD in exec form", dockerfile).isTrue();
        return List.of(new ObjectMapper().readValue(m.group(1), String[].class));
    }

    @Test
    void everyVigilEnvironmentVariableInDeployIsOneTheCodeReads() throws IOException {
        StringBuilder code = new StringBuilder();
        for (Path f : files(Path.of("src/main"), ".java", ".xml", ".properties")) {
            code.append(Files.readString(f));
        }
        Map<String, Path> used = new TreeMap<>();
        for (Path f : files(DEPLOY, "")) {
            Matcher m = Pattern.compile("\\bVIGIL_[A-Z_]+\\b").matcher(Files.readString(f));
            while (m.find()) {
                used.putIfAbsent(m.group(), f);
            }
        }
        assertThat(used).containsKeys("VIGIL_BOOTSTRAP", "VIGIL_BACKBONE");
        used.forEach((name, file) -> assertThat(code.indexOf("\"" + name + "\"") >= 0
                || code.indexOf("env:" + name) >= 0 || code.indexOf("${" + name) >= 0)
                .as("%s in %s is read by the code", name, file).isTrue());
    }

    /** Topic name to [partitions, configs...] from lines "create --topic T --partitions N --config k=v ...". */
    static Map<String, Map<String, String>> topicsCreated(String script, String where) {
        Matcher fn = Pattern.compile("create\\(\\) \\{ .*kafka-topics\\.sh .*--create .*}").matcher(script);
        assertThat(fn.find()).as("%s defines create() with kafka-topics.sh", where).isTrue();
        assertThat(fn.group()).as(where).contains("--replication-factor 3", "--config min.insync.replicas=2");
        Map<String, Map<String, String>> out = new TreeMap<>();
        Matcher line = Pattern.compile("(?m)^\\s*create --topic (\\S+) --partitions (\\d+)((?: --config \\S+=\\S+)*)\\s*$")
                .matcher(script);
        while (line.find()) {
            Map<String, String> configs = new TreeMap<>();
            configs.put("partitions", line.group(2));
            Matcher c = Pattern.compile("--config (\\S+)=(\\S+)").matcher(line.group(3));
            while (c.find()) {
                configs.put(c.group(1), c.group(2));
            }
            out.put(line.group(1), configs);
        }
        return out;
    }

    static Map<String, Map<String, String>> registry() {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (Topic<?> t : Topics.ALL) {
            Map<String, String> configs = new TreeMap<>(t.configs());
            configs.put("partitions", String.valueOf(t.partitions()));
            out.put(t.name(), configs);
        }
        return out;
    }

    @Test
    void theTopicsCreatedByComposeAndKubernetesAreThoseOfTheRegistry() throws IOException {
        List<String> compose = (List<String>) composeServices().get("topics").get("command");
        assertThat(topicsCreated(String.join("\n", compose), "compose service topics")).isEqualTo(registry());
        Job job = manifests(K8S).stream().filter(r -> r instanceof Job).map(r -> (Job) r).findFirst().orElseThrow();
        String script = String.join("\n", job.getSpec().getTemplate().getSpec().getInitContainers().get(0).getArgs());
        assertThat(topicsCreated(script, "k8s Job vigil-topics")).isEqualTo(registry());
    }

    @Test
    void bothKafkaClustersHaveThreeBrokersReplicationFactorThreeAndMinIsrTwo() throws IOException {
        long largest = Topics.ALL.stream().map(t -> t.configs().get("max.message.bytes")).filter(v -> v != null)
                .mapToLong(Long::parseLong).max().orElseThrow();
        List<Map<String, String>> brokers = new ArrayList<>();
        for (Map<String, Object> s : composeServices().values()) {
            Map<String, Object> env = (Map<String, Object>) s.get("environment");
            if (String.valueOf(s.get("image")).startsWith("apache/kafka") && env != null && env.containsKey("KAFKA_NODE_ID")) {
                brokers.add(env.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue()))));
            }
        }
        assertThat(brokers).as("compose brokers").hasSize(3);
        StatefulSet kafka = manifests(K8S).stream().filter(r -> r instanceof StatefulSet s && r.getMetadata().getName()
                .equals("kafka")).map(r -> (StatefulSet) r).findFirst().orElseThrow();
        assertThat(kafka.getSpec().getReplicas()).isEqualTo(3);
        brokers.add(kafka.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue)));
        for (Map<String, String> env : brokers) {
            assertThat(env).containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
                    .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
            assertThat(Long.parseLong(env.get("KAFKA_MESSAGE_MAX_BYTES"))).isGreaterThanOrEqualTo(largest);
        }
    }

    @Test
    void theScorersProbesUseTheHealthPathsOnServesHttpPort() throws IOException {
        List<HasMetadata> resources = manifests(K8S);
        StatefulSet vigil = resources.stream().filter(r -> r instanceof StatefulSet && r.getMetadata().getName()
                .equals("vigil")).map(r -> (StatefulSet) r).findFirst().orElseThrow();
        Container c = vigil.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs().get(0)).isEqualTo("serve");
        int port = Integer.parseInt(option(c.getArgs(), "--http-port"));
        assertThat(c.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(port);
        });
        probe(c.getStartupProbe(), Health.LIVE_PATH, "http");
        probe(c.getLivenessProbe(), Health.LIVE_PATH, "http");
        probe(c.getReadinessProbe(), Health.READY_PATH, "http");
        // the state volume holds --state-dir
        String stateDir = option(c.getArgs(), "--state-dir");
        String claim = vigil.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
        assertThat(c.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo(claim);
            assertThat(stateDir).startsWith(m.getMountPath() + "/");
        });
        // more than one instance: a failover should not wait for a model rebuild
        assertThat(vigil.getSpec().getReplicas()).isGreaterThan(1);
        assertThat(Integer.parseInt(option(c.getArgs(), "--standby-replicas"))).isGreaterThanOrEqualTo(1);
        // static membership: each pod's stable name is its instance id, so a restarted pod gets its cameras back
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("VIGIL_INSTANCE_ID");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        });
        Service headless = resources.stream().filter(r -> r instanceof Service && r.getMetadata().getName()
                .equals(vigil.getSpec().getServiceName())).map(r -> (Service) r).findFirst().orElseThrow();
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");

        java.util.Set<String> instanceIds = new java.util.HashSet<>();
        for (var service : composeServices().entrySet()) {
            List<String> command = (List<String>) service.getValue().get("command");
            if (command == null || !command.get(0).equals("serve")) {
                continue;
            }
            // static membership: every instance has an id of its own
            assertThat(instanceIds.add(option(command, "--instance-id"))).as(service.getKey()).isTrue();
            Map<String, Object> healthcheck = (Map<String, Object>) service.getValue().get("healthcheck");
            assertThat(String.join(" ", (List<String>) healthcheck.get("test"))).as(service.getKey())
                    .contains("http://localhost:" + option(command, "--http-port") + Health.READY_PATH);
            assertThat(option(command, "--state-dir")).startsWith("/var/lib/vigil/");
            assertThat((List<String>) service.getValue().get("volumes")).as(service.getKey())
                    .anySatisfy(v -> assertThat(v).endsWith(":/var/lib/vigil"));
        }
        for (Path dockerfile : List.of(DEPLOY.resolve("Dockerfile"), DEPLOY.resolve("Dockerfile.gpu"))) {
            List<String> cmd = dockerCmd(dockerfile);
            assertThat(Files.readString(dockerfile)).as(dockerfile.toString())
                    .contains("http://localhost:" + option(cmd, "--http-port") + Health.LIVE_PATH)
                    .contains("EXPOSE " + option(cmd, "--http-port"));
        }
    }

    static void probe(Probe probe, String path, String port) {
        assertThat(probe).isNotNull();
        HTTPGetAction get = probe.getHttpGet();
        assertThat(get.getPath()).isEqualTo(path);
        assertThat(get.getPort().getStrVal()).isEqualTo(port);
    }

    @Test
    void theCameraFileInTheConfigMapIsAValidCameraFile(@TempDir Path dir) throws Exception {
        ConfigMap config = manifests(K8S).stream().filter(r -> r instanceof ConfigMap).map(r -> (ConfigMap) r)
                .findFirst().orElseThrow();
        Path file = dir.resolve("cameras.yaml");
        Files.writeString(file, config.getData().get("cameras.yaml"));
        assertThat(CameraConfig.load(file)).isNotEmpty();
        for (Container c : vigilContainers(manifests(K8S))) {
            if (c.getArgs().get(0).equals("ingest")) {
                assertThat(option(c.getArgs(), "--config")).isEqualTo("config/cameras.yaml");
            }
        }
    }

    // ---- security: TLS and SASL everywhere, secrets as files, the roles' ACLs ----

    /** Every broker's settings: the Compose brokers' environment and the Kubernetes StatefulSet's. */
    static List<Map<String, String>> brokerSettings() throws IOException {
        List<Map<String, String>> brokers = new ArrayList<>();
        for (Map<String, Object> s : composeServices().values()) {
            Map<String, Object> env = (Map<String, Object>) s.get("environment");
            if (String.valueOf(s.get("image")).startsWith("apache/kafka") && env != null
                    && env.containsKey("KAFKA_NODE_ID")) {
                brokers.add(env.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        e -> String.valueOf(e.getValue()))));
            }
        }
        StatefulSet kafka = manifests(K8S).stream().filter(r -> r instanceof StatefulSet && r.getMetadata().getName()
                .equals("kafka")).map(r -> (StatefulSet) r).findFirst().orElseThrow();
        brokers.add(kafka.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue)));
        return brokers;
    }

    @Test
    void noBrokerListensInPlaintextAndEveryListenerAuthenticates() throws IOException {
        List<Map<String, String>> brokers = brokerSettings();
        assertThat(brokers).hasSize(4);
        for (Map<String, String> env : brokers) {
            Map<String, String> protocols = new TreeMap<>();
            for (String pair : env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").split(",")) {
                protocols.put(pair.split(":")[0], pair.split(":")[1]);
            }
            assertThat(protocols.values()).as("listener protocols").allMatch(p -> p.equals("SSL") || p.equals("SASL_SSL"));
            for (String listener : env.get("KAFKA_LISTENERS").split(",")) {
                String name = listener.substring(0, listener.indexOf(':'));
                assertThat(protocols).as("listener %s", name).containsKey(name);
                // SSL alone would take any client that trusts the broker: it must also show a certificate
                if (protocols.get(name).equals("SSL")) {
                    assertThat(env).containsEntry("KAFKA_LISTENER_NAME_" + name + "_SSL_CLIENT_AUTH", "required");
                }
            }
            assertThat(env).containsEntry("KAFKA_AUTHORIZER_CLASS_NAME",
                            "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                    .containsEntry("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND", "false")
                    .containsEntry("KAFKA_SUPER_USERS", "User:broker;User:admin")
                    .containsEntry("KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS", "SCRAM-SHA-512");
            // passwords come from the mounted secret through the file config provider, never written here
            env.forEach((k, v) -> {
                if (k.contains("PASSWORD")) {
                    assertThat(v).as(k).startsWith("${file:/etc/kafka/secrets/");
                }
            });
        }
    }

    /** The --kafka-config file of a command line, which every Vigil client must have. */
    static String kafkaConfig(String where, List<String> args) {
        assertThat(args).as("%s: vigil %s has a --kafka-config", where, String.join(" ", args))
                .contains("--kafka-config");
        return option(args, "--kafka-config");
    }

    @Test
    void everyVigilClientReadsItsRolesSettingsFromAMountedSecret() throws IOException {
        List<String> made = dev.vigil.access.DeploymentSecrets.files();
        Map<String, String> roleOf = Map.of("serve", "scorer.properties", "ingest", "ingest.properties",
                "acl", "admin.properties");
        for (HasMetadata r : manifests(K8S)) {
            PodTemplateSpec pod = r instanceof StatefulSet s ? s.getSpec().getTemplate()
                    : r instanceof Deployment d ? d.getSpec().getTemplate()
                    : r instanceof Job j ? j.getSpec().getTemplate() : null;
            if (pod == null) {
                continue;
            }
            List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
            if (pod.getSpec().getInitContainers() != null) {
                all.addAll(pod.getSpec().getInitContainers());
            }
            for (io.fabric8.kubernetes.api.model.Volume v : pod.getSpec().getVolumes()) {
                if (v.getSecret() != null) {
                    assertThat(v.getSecret().getDefaultMode()).as("%s secret volume %s", r.getMetadata().getName(),
                            v.getName()).isEqualTo(0400);
                    assertThat(v.getSecret().getItems()).allSatisfy(i -> assertThat(made).contains(i.getKey()));
                }
            }
            for (Container c : all) {
                if (!c.getImage().startsWith("vigil:")) {
                    continue;
                }
                String file = kafkaConfig("k8s container " + c.getName(), c.getArgs());
                Path path = Path.of(file);
                var mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path.getParent()
                        .toString())).findFirst().orElseThrow(() -> new AssertionError(c.getName() + ": " + file
                        + " is on no mounted volume"));
                var volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                        .findFirst().orElseThrow();
                assertThat(volume.getSecret()).as("%s: %s comes from a Secret", c.getName(), file).isNotNull();
                assertThat(volume.getSecret().getItems()).as(c.getName())
                        .anySatisfy(i -> {
                            assertThat(i.getPath()).isEqualTo(path.getFileName().toString());
                            assertThat(i.getKey()).isEqualTo(roleOf.get(c.getArgs().get(0)));
                        });
            }
        }
        Map<String, Object> secrets = (Map<String, Object>) compose().get("secrets");
        secrets.values().forEach(v -> assertThat(made).contains(Path.of((String) ((Map<?, ?>) v).get("file"))
                .getFileName().toString()));
        for (var service : composeServices().entrySet()) {
            if (!String.valueOf(service.getValue().get("image")).startsWith("vigil:")) {
                continue;
            }
            List<String> command = (List<String>) service.getValue().get("command");
            String file = kafkaConfig("compose service " + service.getKey(), command);
            List<Map<String, Object>> mounted = (List<Map<String, Object>>) service.getValue().get("secrets");
            assertThat(mounted).as(service.getKey()).anySatisfy(m -> {
                assertThat(m.get("target")).isEqualTo(file);
                String source = ((Map<String, String>) secrets.get(m.get("source"))).get("file");
                assertThat(Path.of(source).getFileName().toString()).isEqualTo(roleOf.get(command.get(0)));
            });
            assertThat(mounted).allSatisfy(m -> assertThat(m.get("mode")).isEqualTo(0400));
        }
    }

    @Test
    void theUsersAndAclsCreatedAreThoseOfEveryRole() throws IOException {
        List<String> roles = Stream.of(dev.vigil.access.Role.values()).map(dev.vigil.access.Role::id).toList();
        Job job = manifests(K8S).stream().filter(r -> r instanceof Job).map(r -> (Job) r).findFirst().orElseThrow();
        List<String> k8sAcl = job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        List<String> composeAcl = (List<String>) composeServices().get("acls").get("command");
        for (List<String> acl : List.of(k8sAcl, composeAcl)) {
            assertThat(acl.subList(0, 2)).containsExactly("acl", "--apply");
            assertThat(List.of(option(acl, "--role").split(","))).containsExactlyElementsOf(roles);
            assertThat(option(acl, "--kafka-config")).endsWith("/admin.properties");
        }
        String k8sScript = String.join("\n", job.getSpec().getTemplate().getSpec().getInitContainers().get(0).getArgs());
        String composeScript = String.join("\n", (List<String>) composeServices().get("topics").get("command"));
        for (String script : List.of(k8sScript, composeScript)) {
            Matcher m = Pattern.compile("(?m)^\\s*user (\\S+)\\s*$").matcher(script);
            List<String> users = new ArrayList<>();
            while (m.find()) {
                users.add(m.group(1));
            }
            assertThat(users).containsExactlyElementsOf(roles);
            assertThat(script).contains("--add-config-file").doesNotContain("password=");
        }
    }
}
