package dev.vigil.stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A chunk's header is untrusted: sizes that would make the scorer hold or track too much are refused. */
class ModelChunkTest {
    private static final String SHA = "00".repeat(32);

    private static String problem(int count, int chunkBytes, long totalBytes) {
        ModelChunk c = new ModelChunk("gate", 1, 0, count, chunkBytes, totalBytes, SHA,
                new byte[(int) Math.min(chunkBytes, Math.max(0, totalBytes))]);
        return c.problemAgainst(count, chunkBytes, totalBytes, SHA);
    }

    @Test
    void sizesWithinBoundsAreAccepted() {
        assertThat(problem(3, 4096, 10_000)).isNull();
        assertThat(problem(1, 100, 100)).isNull();
    }

    @Test
    void hostileSizesAreRefusedNamingThem() {
        assertThat(problem(1, 1, 1L << 40)).contains("outside 0..17179869184");
        // a billion one-byte chunks: the version's bitmap of received chunks alone would be 128 MB
        assertThat(problem(Integer.MAX_VALUE, 1, Integer.MAX_VALUE)).contains("chunks of 1 bytes are outside");
        assertThat(problem(2, 16 << 20, 20 << 20)).contains("outside 4096..8388608");
        assertThat(problem(3, 4096, 100)).contains("cannot hold");
    }
}
