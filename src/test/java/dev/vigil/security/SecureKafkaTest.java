package dev.vigil.security;

import dev.vigil.access.Role;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.stream.Alert;
import dev.vigil.stream.AnomalyMapRecord;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.Producers;
import dev.vigil.stream.TopicReader;
import dev.vigil.stream.Topics;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.VigilRun;
import dev.vigil.tls.CertificateAuthority;
import dev.vigil.tls.KeyStores;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import dev.vigil.web.DashboardFeed;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The security tier: Vigil's commands on a broker with TLS, SCRAM and the roles' ACLs (one broker for the class).
 * Every role does its job through its client settings file, exactly as deploy/ runs it; each is refused what belongs
 * to another role; clients without credentials, with a wrong password or with a certificate of another authority
 * are refused.
 */
class SecureKafkaTest {
    private static final int W = 160;
    private static final int H = 128;
    private static final SyntheticScene SCENE = new SyntheticScene(W, H, 5, 150, 175);
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static OnnxBackbone backbone;
    private static Path modelFile;
    private static Path clip;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedBroker.startSecure(dir.resolve("broker"), 0, 0);
        // on a secured cluster an administrator creates the topics; no role may
        Topics.ensure(broker.connection());
        backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
        List<RgbImage> normal = IntStream.range(0, 120).mapToObj(SCENE::frame).toList();
        PadimModel model = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                new FitOptions(40, 3, 0.01, 16, 10, 500, "gate")).fit(normal.iterator());
        modelFile = dir.resolve("gate.vgm");
        ModelFile.write(modelFile, new PadimModel(model.info().withThreshold(model.info().threshold()
                .withThreshold(30)), model.gaussian()));
        model.gaussian().close();
        clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, IntStream.range(140, 185).mapToObj(SCENE::frame).toList(), 10);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        if (backbone != null) {
            backbone.close();
        }
    }

    @Test
    void everyRoleDoesItsJobThroughItsOwnSettingsFile() throws Exception {
        VigilRun published = vigil(Role.MODEL_OPERATOR, "model", "publish", "--camera", "gate", "--model",
                modelFile.toString());
        assertThat(published.exit()).as(published.toString()).isZero();
        DashboardFeed feed = DashboardFeed.start(broker.connection(Role.DASHBOARD));
        try (ScoringEngine engine = new ScoringEngine(backbone, 8, Duration.ofMillis(20));
             ScoringService service = ScoringService.start(broker.connection(Role.SCORER), engine,
                     "mobilenetv2-l123", ScoringSettings.DEFAULT,
                     ScoringService.Options.defaults(dir.resolve("state")))) {
            VigilRun replayed = vigil(Role.INGEST, "replay", "--camera", "gate", "--file", clip.toString(),
                    "--max-speed");
            assertThat(replayed.exit()).as(replayed.toString()).isZero();
            // a live-camera style ingest of a file source, as the ingest principal
            VigilRun ingested = vigil(Role.INGEST, "ingest", "--camera", "dock", "--source", clip.toString());
            assertThat(ingested.exit()).as(ingested.toString()).isZero();

            // the dashboard reads the maps; the subscriber the alerts
            List<AnomalyMapRecord> maps = readCount(broker.connection(Role.DASHBOARD), Topics.ANOMALY_MAPS, 45)
                    .stream().map(r -> AnomalyMapRecord.fromJson(r.value())).toList();
            assertThat(maps).extracting(AnomalyMapRecord::seq)
                    .containsExactlyElementsOf(IntStream.range(0, 45).mapToObj(i -> (long) i).toList());
            List<Alert> alerts = readCount(broker.connection(Role.ALERT_SUBSCRIBER), Topics.ALERTS, 1).stream()
                    .map(r -> Alert.fromJson(r.value())).toList();
            assertThat(alerts.get(0).type()).isEqualTo(Alert.Type.NEW);
            VigilRun printed = vigil(Role.ALERT_SUBSCRIBER, "alerts", "--from-beginning");
            assertThat(printed.exit()).as(printed.toString()).isZero();
            assertThat(printed.out()).contains(alerts.get(0).id());
            VigilRun versions = vigil(Role.MODEL_OPERATOR, "model", "list", "--camera", "gate");
            assertThat(versions.exit()).as(versions.toString()).isZero();
            String version = published.out().replaceAll("(?s).* as version (\\d+):.*", "$1");
            assertThat(versions.out()).containsPattern(version + "\\s+\\*");
            // the operator learns a model from the camera's frames on the topic
            Path learnt = dir.resolve("learnt.vgm");
            VigilRun learn = vigil(Role.MODEL_OPERATOR, "learn", "--camera", "gate", "--frames", "20", "--features",
                    "20", "--size", W + "x" + H, "--backbone", SharedData.backbone("mobilenetv2-l123").toString(),
                    "--out", learnt.toString());
            assertThat(learn.exit()).as(learn.toString()).isZero();
            assertThat(learnt).exists();

            // the dashboard, as its own principal: what it shows, and an activation (a rollback) when asked
            await().atMost(Duration.ofSeconds(60)).until(() -> !feed.alerts("gate", 10).isEmpty());
            ModelPublisher.activate(broker.connection(Role.DASHBOARD), "gate", Long.parseLong(version));
        } finally {
            feed.close();
        }
    }

    @Test
    void theAclCommandPrintsARolesAclsAndAppliesThem() throws Exception {
        VigilRun printed = VigilRun.of("acl", "--role", "alert-subscriber", "--principal", "User:auditor");
        assertThat(printed.exit()).as(printed.toString()).isZero();
        assertThat(printed.out().lines()).containsExactly(
                "ALLOW User:auditor READ TOPIC vigil.alerts (literal) from *",
                "ALLOW User:auditor DESCRIBE TOPIC vigil.alerts (literal) from *",
                "ALLOW User:auditor READ TOPIC vigil.snapshots (literal) from *",
                "ALLOW User:auditor DESCRIBE TOPIC vigil.snapshots (literal) from *",
                "ALLOW User:auditor READ GROUP vigil-alerts- (prefixed) from *");
        // only an administrator may create ACLs
        VigilRun denied = vigil(Role.MODEL_OPERATOR, "acl", "--role", "alert-subscriber", "--principal",
                "User:auditor", "--apply");
        assertThat(denied.exit()).isEqualTo(1);
        assertThat(denied.err()).contains("cannot create the ACLs");
        VigilRun applied = VigilRun.of("acl", "--role", "alert-subscriber", "--principal", "User:auditor", "--apply",
                "--bootstrap", broker.bootstrap(), "--kafka-config", broker.clientConfig("admin", false).toString());
        assertThat(applied.exit()).as(applied.toString()).isZero();
        try (Admin admin = Admin.create(broker.connection().config())) {
            assertThat(admin.describeAcls(new org.apache.kafka.common.acl.AclBindingFilter(
                    org.apache.kafka.common.resource.ResourcePatternFilter.ANY,
                    new org.apache.kafka.common.acl.AccessControlEntryFilter("User:auditor", null,
                            org.apache.kafka.common.acl.AclOperation.ANY,
                            org.apache.kafka.common.acl.AclPermissionType.ANY))).values().get()).hasSize(5);
        }
    }

    @Test
    void theClientSettingsFilesAreTheOwnersAloneAndTheCommandsShowNoSecret() throws Exception {
        for (String user : EmbeddedBroker.clientUsers()) {
            for (boolean mtls : new boolean[]{false, true}) {
                Path file = broker.clientConfig(user, mtls);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                broker.clientConfig("admin", false).getParent()))).isEqualTo("rwx------");
        java.util.Properties settings = new java.util.Properties();
        try (var in = Files.newBufferedReader(broker.clientConfig(Role.INGEST.id(), false))) {
            settings.load(in);
        }
        String password = settings.getProperty("sasl.jaas.config").replaceAll(".*password=\"([^\"]+)\".*", "$1");
        assertThat(password).hasSizeGreaterThan(20).doesNotContain(" ");
        VigilRun refused = vigil(Role.INGEST, "model", "activate", "--camera", "gate", "--version", "1");
        assertThat(refused.out() + refused.err()).doesNotContain(password);
    }

    @Test
    void aMutualTlsListenerNeedsTheSecuredBroker() {
        VigilRun run = VigilRun.of("broker", "--mtls-port", "0", "--data-dir", dir.resolve("unused").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--mtls-port needs --secure");
    }

    @Test
    void theSubscriberCannotReadFrames() {
        assertThatThrownBy(() -> new TopicReader(broker.connection(Role.ALERT_SUBSCRIBER), Topics.FRAMES, null, true)
                .close()).isInstanceOf(TopicAuthorizationException.class);
        VigilRun scores = vigil(Role.ALERT_SUBSCRIBER, "scores", "--from-beginning", "--until-idle", "1");
        assertThat(scores.exit()).isEqualTo(1);
        assertThat(scores.err()).contains("Not authorized");
    }

    @Test
    void ingestCannotPublishAModel() {
        VigilRun run = vigil(Role.INGEST, "model", "publish", "--camera", "gate", "--model", modelFile.toString());
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("Not authorized").contains(Topics.MODELS.name());
    }

    @Test
    void theScorerCannotWriteFrames() {
        assertThatThrownBy(() -> sendFrame(broker.connection(Role.SCORER)))
                .hasCauseInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void aClientWithAWrongPasswordOrWithoutCredentialsIsRefused() throws Exception {
        Map<String, Object> wrong = broker.connection(Role.INGEST).config();
        wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"ingest\" password=\"guess\";");
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.listTopics().names().get())
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        // TLS to the SASL listener without a SASL login: the broker closes the connection before any request
        Map<String, Object> anonymous = broker.connection(Role.INGEST).config();
        anonymous.put("security.protocol", "SSL");
        anonymous.remove("sasl.jaas.config");
        anonymous.remove("sasl.mechanism");
        anonymous.put("default.api.timeout.ms", 3000);
        anonymous.put("request.timeout.ms", 3000);
        try (Admin admin = Admin.create(anonymous)) {
            assertThatThrownBy(() -> admin.listTopics().names().get())
                    .isInstanceOf(ExecutionException.class);
        }
    }

    @Test
    void mutualTlsTakesTheAuthoritysCertificatesWithTheirRolesAndRefusesOthers() throws Exception {
        // the ingest certificate writes frames, and is held to the ingest role's ACLs like the SCRAM user
        sendFrame(broker.mtlsConnection(Role.INGEST));
        assertThatThrownBy(() -> {
            try (KafkaProducer<String, byte[]> p = Producers.create(broker.mtlsConnection(Role.INGEST), 1 << 16)) {
                p.send(new ProducerRecord<>(Topics.MODELS.name(), "gate", new byte[]{1})).get();
            }
        }).hasCauseInstanceOf(TopicAuthorizationException.class);

        // a certificate with the same name from another authority
        CertificateAuthority other = CertificateAuthority.create("impostor", Duration.ofDays(1));
        Path key = dir.resolve("impostor.p12");
        KeyStores.writeKeyStore(key, "changeit".toCharArray(), "ingest",
                other.issue("ingest", List.of(), Duration.ofDays(1)));
        Map<String, Object> impostor = broker.mtlsConnection(Role.INGEST).config();
        impostor.put("ssl.keystore.location", key.toString());
        impostor.put("ssl.keystore.password", "changeit");
        impostor.put("ssl.key.password", "changeit");
        Map<String, Object> noCertificate = new HashMap<>(broker.mtlsConnection(Role.INGEST).config());
        noCertificate.keySet().removeIf(k -> k.startsWith("ssl.keystore") || k.equals("ssl.key.password"));
        for (Map<String, Object> config : List.of(impostor, noCertificate)) {
            try (Admin admin = Admin.create(config)) {
                assertThatThrownBy(() -> admin.listTopics().names().get())
                        .hasCauseInstanceOf(SslAuthenticationException.class);
            }
        }
    }

    private static void sendFrame(KafkaConnection kafka) throws Exception {
        try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 1 << 20)) {
            producer.send(FrameRecords.toRecord(new FrameRecords.Frame("yard", 0, System.currentTimeMillis(), "png",
                    W, H, "test", 0, FrameCodec.parse("png").encode(SCENE.frame(0))))).get();
        }
    }

    /** {@code vigil <args> --bootstrap <broker> --kafka-config <the role's file>}. */
    private static VigilRun vigil(Role role, String... args) {
        List<String> line = new java.util.ArrayList<>(List.of(args));
        line.addAll(List.of("--bootstrap", broker.bootstrap(), "--kafka-config",
                broker.clientConfig(role.id(), false).toString()));
        return VigilRun.of(line.toArray(String[]::new));
    }

    /** Waits until the topic holds {@code count} committed records, and returns them. */
    private static List<ConsumerRecord<String, byte[]>> readCount(KafkaConnection kafka, dev.vigil.stream.Topic topic,
                                                                 int count) {
        List<ConsumerRecord<String, byte[]>> out = new CopyOnWriteArrayList<>();
        try (TopicReader reader = new TopicReader(kafka, topic, null, true)) {
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                reader.read(new TopicReader.Until.Idle(Duration.ofMillis(300)), out::add, r -> out.size() >= count);
                return out.size() >= count;
            });
        }
        return out;
    }
}
