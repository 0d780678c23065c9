package dev.vigil.topology;

import dev.vigil.stream.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A dead letter the broker refuses is skipped and counted; any other record still fails its task. */
class DeadLetterWriteHandlerTest {
    @Test
    void aRefusedDeadLetterIsSkippedAndCountedWhileOtherRecordsFail() {
        ScoringStats stats = new ScoringStats();
        DeadLetterWriteHandler handler = new DeadLetterWriteHandler();
        handler.configure(Map.of(DeadLetterWriteHandler.STATS_CONFIG, stats));
        var letter = new ProducerRecord<>(Topics.DEAD_LETTERS.name(), new byte[0], new byte[9 << 20]);
        assertThat(handler.handle(null, letter, new RecordTooLargeException("too large")))
                .isEqualTo(ProductionExceptionHandlerResponse.CONTINUE);
        assertThat(stats.deadLettersLost()).isEqualTo(1);
        var map = new ProducerRecord<>(Topics.ANOMALY_MAPS.name(), new byte[0], new byte[10]);
        assertThat(handler.handle(null, map, new RecordTooLargeException("too large")))
                .isEqualTo(ProductionExceptionHandlerResponse.FAIL);
        assertThat(stats.deadLettersLost()).isEqualTo(1);
    }
}
