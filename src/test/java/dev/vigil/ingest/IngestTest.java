package dev.vigil.ingest;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.media.VideoWriter;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.Producers;
import dev.vigil.stream.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ingest against a real broker: rate sampling, status records, a dead camera retried beside a live one, sends the
 * broker does not acknowledge, and camera credentials kept out of everything published or logged.
 */
class IngestTest {

    @Test
    void aDeadCameraIsRetriedWithBackOffWhileAnotherCameraKeepsDelivering(@TempDir Path dir) throws Exception {
        Path clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(96, 64, 40, 8, -1, -1), 10);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            FrameCodec jpeg = FrameCodec.parse("jpeg:85");
            List<CameraIngest.Settings> cameras = List.of(
                    new CameraIngest.Settings("dead", "rtsp://127.0.0.1:1/none", 5, jpeg, Duration.ofMillis(50),
                            Duration.ofMillis(200)),
                    new CameraIngest.Settings("gate", clip.toString(), 5, jpeg, Duration.ofMillis(50),
                            Duration.ofMillis(200)));
            List<CameraStatus> statuses = new ArrayList<>();
            List<FrameRecords.Frame> frames = new ArrayList<>();
            try (Ingestor ingestor = Ingestor.start(broker.connection(), cameras);
                 KafkaConsumer<String, byte[]> consumer = consumer(broker.bootstrap())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    poll(consumer, statuses, frames);
                    return frames.size() >= 20 && statuses.stream().filter(s -> s.camera().equals("dead")).count() >= 3
                            && statuses.stream().anyMatch(s -> s.camera().equals("gate") && s.state().equals("offline"));
                });
                // the file camera flushed before it reported its end: every frame it counts was acknowledged
                CameraIngest gate = ingestor.cameras().get(1);
                assertThat(gate.published()).isEqualTo(20);
                assertThat(gate.failed()).isZero();
            }
            List<CameraStatus> dead = statuses.stream().filter(s -> s.camera().equals("dead")).toList();
            assertThat(dead).allSatisfy(s -> {
                assertThat(s.state()).isEqualTo("offline");
                assertThat(s.reason()).contains("rtsp://127.0.0.1:1/none");
            });
            assertThat(dead.subList(0, 3)).extracting(CameraStatus::attempt).containsExactly(1, 2, 3);
            // the live camera: online, 5 of every 10 fps frames kept, then the end of its file
            assertThat(statuses.stream().filter(s -> s.camera().equals("gate")).map(CameraStatus::state))
                    .containsExactly("online", "offline");
            assertThat(frames).hasSize(20).allSatisfy(f -> assertThat(f.camera()).isEqualTo("gate"));
            assertThat(frames).extracting(FrameRecords.Frame::sourceFrame)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 20).map(i -> 2 * i).boxed().toList());
        }
    }

    @Test
    void framesTheBrokerDoesNotAcknowledgeAreCountedAndLoggedTheFirstThenEveryHundredth(@TempDir Path dir)
            throws Exception {
        Path clip = dir.resolve("lobby.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(64, 48, 250, 3, -1, -1), 25);
        ListAppender<ILoggingEvent> log = captureLogs();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            Topics.ensure(broker.connection());
            // requests of at most 600 bytes: a status record fits, no JPEG frame does, so the producer refuses
            // every frame (RecordTooLargeException through the callback) while the camera keeps reading
            try (KafkaProducer<String, byte[]> producer = Producers.create(broker.connection(), 600)) {
                CameraIngest camera = new CameraIngest(new CameraIngest.Settings("lobby", clip.toString(), 0,
                        FrameCodec.DEFAULT, Duration.ofMillis(50), Duration.ofMillis(200)), producer);
                camera.run(); // a file source: returns at its end
                assertThat(camera.failed()).isEqualTo(250);
                assertThat(camera.published()).isZero();
            }
            List<String> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("frame not delivered")).toList();
            assertThat(warnings).hasSize(3).allSatisfy(m -> assertThat(m).startsWith("camera lobby: ")
                    .contains("RecordTooLargeException"));
            assertThat(warnings.get(0)).contains("(1 failed so far, 0 delivered)");
            assertThat(warnings.get(1)).contains("(100 failed so far");
            assertThat(warnings.get(2)).contains("(200 failed so far");
            List<CameraStatus> statuses = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = consumer(broker.bootstrap())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                        if (r.topic().equals(Topics.CAMERA_STATUS.name())) {
                            statuses.add(CameraStatus.fromJson(r.value()));
                        }
                    });
                    return statuses.size() >= 2;
                });
            }
            assertThat(statuses).extracting(CameraStatus::state).containsExactly("online", "offline");
        } finally {
            release(log);
        }
    }

    @Test
    void cameraCredentialsOpenTheStreamButNeverReachALogAStatusRecordOrAFrame(@TempDir Path dir) throws Exception {
        Path clip = dir.resolve("gate.mp4");
        VideoWriter.write(clip, SyntheticScene.generate(96, 64, 20, 8, -1, -1), 10);
        String password = "s3cret-pw";
        // an HTTP camera that wants the credentials (basic authentication) and serves the clip with byte ranges
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/gate.mp4", exchange -> serve(exchange, Files.readAllBytes(clip)))
                .setAuthenticator(new BasicAuthenticator("camera") {
                    @Override
                    public boolean checkCredentials(String user, String pass) {
                        return user.equals("viewer") && pass.equals(password);
                    }
                });
        http.start();
        String host = "127.0.0.1:" + http.getAddress().getPort();
        ListAppender<ILoggingEvent> log = captureLogs();
        List<CameraStatus> statuses = new ArrayList<>();
        List<FrameRecords.Frame> frames = new ArrayList<>();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            List<CameraIngest.Settings> cameras = List.of(
                    new CameraIngest.Settings("gate", "http://viewer:" + password + "@" + host + "/gate.mp4", 5,
                            FrameCodec.DEFAULT, Duration.ofMillis(50), Duration.ofMillis(200)),
                    new CameraIngest.Settings("dead", "rtsp://admin:" + password + "@127.0.0.1:1/none", 5,
                            FrameCodec.DEFAULT, Duration.ofMillis(50), Duration.ofMillis(200)));
            try (Ingestor ingestor = Ingestor.start(broker.connection(), cameras);
                 KafkaConsumer<String, byte[]> consumer = consumer(broker.bootstrap())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    poll(consumer, statuses, frames);
                    return frames.size() >= 10 && statuses.stream().filter(s -> s.camera().equals("dead")).count() >= 2;
                });
            }
        } finally {
            http.stop(0);
            release(log);
        }
        assertThat(frames).allSatisfy(f -> assertThat(f.source()).isEqualTo("http://***@" + host + "/gate.mp4"));
        assertThat(statuses).filteredOn(s -> s.camera().equals("gate")).first()
                .satisfies(s -> assertThat(s.state()).isEqualTo("online"))
                .satisfies(s -> assertThat(s.source()).isEqualTo("http://***@" + host + "/gate.mp4"));
        assertThat(statuses).filteredOn(s -> s.camera().equals("dead")).allSatisfy(s -> {
            assertThat(s.source()).isEqualTo("rtsp://***@127.0.0.1:1/none");
            assertThat(s.reason()).contains("rtsp://***@127.0.0.1:1/none");
        });
        assertThat(statuses).allSatisfy(s -> assertThat(s.toString()).doesNotContain(password));
        List<String> messages = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("rtsp://***@127.0.0.1:1/none"))
                .allSatisfy(m -> assertThat(m).doesNotContain(password));
    }

    /** The clip with HTTP byte ranges, which FFmpeg uses to reach an MP4's index at the end of the file. */
    private static void serve(HttpExchange exchange, byte[] body) throws IOException {
        int from = 0;
        int to = body.length - 1;
        int status = 200;
        exchange.getResponseHeaders().add("Accept-Ranges", "bytes");
        exchange.getResponseHeaders().add("Content-Type", "video/mp4");
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=")) {
            String[] bounds = range.substring("bytes=".length()).split("-", 2);
            from = Integer.parseInt(bounds[0].trim());
            if (bounds.length > 1 && !bounds[1].isBlank()) {
                to = Math.min(to, Integer.parseInt(bounds[1].trim()));
            }
            if (from > to) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
                exchange.sendResponseHeaders(416, -1);
                exchange.close();
                return;
            }
            status = 206;
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + to + "/" + body.length);
        }
        exchange.sendResponseHeaders(status, to - from + 1);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body, from, to - from + 1);
        } catch (IOException e) {
            // FFmpeg closes a connection once it has read what it wanted
        }
    }

    /** Every log event of Vigil's classes from now on. */
    private static ListAppender<ILoggingEvent> captureLogs() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger("dev.vigil")).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger("dev.vigil")).detachAppender(appender);
    }

    /** A consumer of the frames and camera-status topics from their beginning, without a group. */
    /** One poll: status records to {@code statuses}, frame records to {@code frames}. */
    static void poll(KafkaConsumer<String, byte[]> consumer, List<CameraStatus> statuses,
                             List<FrameRecords.Frame> frames) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (r.topic().equals(Topics.CAMERA_STATUS.name())) {
                statuses.add(CameraStatus.fromJson(r.value()));
            } else {
                frames.add(FrameRecords.fromRecord(r));
            }
        }
    }

    static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.FRAMES.name(), Topics.CAMERA_STATUS.name())) {
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }
}
