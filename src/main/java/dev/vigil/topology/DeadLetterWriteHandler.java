package dev.vigil.topology;

import dev.vigil.stream.Topics;
import dev.vigil.untrusted.LogText;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * What Kafka Streams does when a record cannot be written: a dead letter that fails is logged, counted and skipped,
 * so that a failure to report one bad input never stalls the stream thread (and with it every camera of its tasks);
 * any other record fails the task as before, since a lost map or alert must not pass silently. Dead letters are
 * bounded before they are sent ({@link dev.vigil.stream.DeadLetters#letter}), so this is the last resort, not the
 * usual path.
 */
public final class DeadLetterWriteHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriteHandler.class);
    /** The config key under which {@link ScoringService} hands the instance's {@link ScoringStats}. */
    static final String STATS_CONFIG = "vigil.scoring.stats";

    private ScoringStats stats;

    @Override
    public void configure(Map<String, ?> configs) {
        if (configs.get(STATS_CONFIG) instanceof ScoringStats s) {
            stats = s;
        }
    }

    @Override
    public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                                     Exception exception) {
        if (!Topics.DEAD_LETTERS.name().equals(record.topic())) {
            return ProductionExceptionHandlerResponse.FAIL;
        }
        LOG.error("a dead letter of {} bytes could not be written to {} and is skipped: {}",
                record.value() == null ? 0 : record.value().length, record.topic(), LogText.escape(exception));
        if (stats != null) {
            stats.deadLetterLost();
        }
        return ProductionExceptionHandlerResponse.CONTINUE;
    }
}
