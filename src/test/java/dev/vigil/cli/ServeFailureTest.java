package dev.vigil.cli;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.broker.EmbeddedBroker;
import dev.vigil.engine.ScoringEngine;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.SyntheticScene;
import dev.vigil.stream.FrameRecords;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.Producers;
import dev.vigil.testing.SharedData;
import dev.vigil.testing.TestModels;
import dev.vigil.topology.ScoringService;
import dev.vigil.topology.ScoringSettings;
import dev.vigil.web.Health;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An {@link Error} on the scoring engine's thread fails the instance: it tells its listener (serve exits non-zero),
 * and serve's probes answer DOWN naming the error, instead of UP over a scorer that scores nothing.
 */
class ServeFailureTest {
    @Test
    void anErrorOnTheScoringThreadMakesTheInstanceReportDown(@TempDir Path dir) throws Exception {
        int w = 160;
        int h = 128;
        SyntheticScene scene = new SyntheticScene(w, h, 13, -1, -1);
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"));
             EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            Path modelFile = TestModels.fit(backbone, IntStream.range(0, 30).mapToObj(scene::frame).toList(), w, h,
                    20, 10, "gate", dir.resolve("gate.vgm"));
            KafkaConnection kafka = broker.connection();
            ModelPublisher.publish(kafka, "gate", modelFile, 1, 1 << 20);
            try (ScoringEngine engine = new ScoringEngine(backbone, 4, Duration.ofMillis(5)).decodeWith((b, fw, fh) -> {
                throw new OutOfMemoryError("what a decompression bomb did before decoding was bounded");
            });
                 ScoringService service = ScoringService.start(kafka, engine, "mobilenetv2-l123",
                         ScoringSettings.DEFAULT, ScoringService.Options.defaults(dir.resolve("state")))) {
                AtomicReference<Throwable> told = new AtomicReference<>();
                service.onFailure(told::set);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> ServeCommand.readiness(service).up());
                try (KafkaProducer<String, byte[]> producer = Producers.create(kafka, 1 << 20)) {
                    producer.send(FrameRecords.toRecord(new FrameRecords.Frame("gate", 0, System.currentTimeMillis(),
                            "jpeg:90", w, h, "test", 0, FrameCodec.parse("jpeg:90").encode(scene.frame(40))))).get();
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> told.get() != null);
                assertThat(told.get()).isInstanceOf(OutOfMemoryError.class);
                assertThat(service.failure()).isSameAs(told.get());
                Health.Check live = ServeCommand.liveness(service);
                assertThat(live.up()).isFalse();
                assertThat(live.details().get("error").toString()).contains("OutOfMemoryError");
                assertThat(ServeCommand.readiness(service).up()).isFalse();
                assertThat(service.stats().deadLetters()).isZero();
            }
        }
    }
}
