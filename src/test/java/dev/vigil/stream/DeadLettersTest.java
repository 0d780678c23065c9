package dev.vigil.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A dead letter always fits its topic, whatever the input was, and still says what and where the input was. */
class DeadLettersTest {
    @Test
    void aSmallInputIsKeptAsItIs() {
        RecordHeaders original = new RecordHeaders();
        original.add("vigil.seq", "7".getBytes(StandardCharsets.UTF_8));
        DeadLetters.Letter letter = DeadLetters.letter("gate", new byte[]{1, 2, 3}, original, DeadLetters.Kind.FRAME,
                "undecodable", Topics.FRAMES.name(), 2, 41);
        assertThat(letter.key()).isEqualTo("gate");
        assertThat(letter.value()).containsExactly(1, 2, 3);
        assertThat(DeadLetters.header(letter.headers(), "vigil.seq")).isEqualTo("7");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.REASON)).isEqualTo("undecodable");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.OFFSET)).isEqualTo("41");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.PAYLOAD)).isNull();
    }

    @Test
    void aFrameJustUnderTheFramesTopicsLimitIsReplacedByItsDigest() throws Exception {
        byte[] frame = new byte[(8 << 20) - 200];
        new Random(1).nextBytes(frame);
        RecordHeaders original = new RecordHeaders();
        original.add("vigil.source", "x".repeat(1000).getBytes(StandardCharsets.UTF_8));
        DeadLetters.Letter letter = DeadLetters.letter("gate", frame, original, DeadLetters.Kind.FRAME,
                "undecodable frame", Topics.FRAMES.name(), 0, 12345);
        assertThat(size(letter)).isLessThanOrEqualTo(DeadLetters.MAX_RECORD_BYTES);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(frame));
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.PAYLOAD))
                .isEqualTo("sha256:" + sha + ";bytes=" + frame.length);
        assertThat(new String(letter.value(), StandardCharsets.UTF_8)).contains(sha).contains("\"bytes\":" + frame.length);
        // where the original still is
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.TOPIC)).isEqualTo(Topics.FRAMES.name());
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.OFFSET)).isEqualTo("12345");
        assertThat(DeadLetters.header(letter.headers(), "vigil.source")).hasSize(1000);
    }

    @Test
    void hugeKeysHeadersAndReasonsAreBounded() {
        RecordHeaders original = new RecordHeaders();
        for (int i = 0; i < 100; i++) {
            original.add("h" + i, new byte[1024]);
        }
        String key = "k".repeat(100_000);
        DeadLetters.Letter letter = DeadLetters.letter(key, new byte[10], original, DeadLetters.Kind.FRAME,
                "r".repeat(50_000), Topics.FRAMES.name(), 0, 1);
        assertThat(letter.key()).hasSizeLessThanOrEqualTo(DeadLetters.MAX_KEY_CHARS);
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.ORIGINAL_KEY)).startsWith("sha256:")
                .endsWith(";chars=100000");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.REASON))
                .hasSizeLessThan(DeadLetters.MAX_REASON_CHARS + 50).endsWith("(50000 chars)");
        assertThat(Integer.parseInt(DeadLetters.header(letter.headers(), DeadLetters.HEADERS_DROPPED)))
                .isGreaterThan(80);
        assertThat(size(letter)).isLessThan(DeadLetters.MAX_ORIGINAL_HEADER_BYTES + 10_000);
    }

    private static long size(DeadLetters.Letter letter) {
        long n = letter.value().length + letter.key().getBytes(StandardCharsets.UTF_8).length;
        for (Header h : letter.headers()) {
            n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }
}
