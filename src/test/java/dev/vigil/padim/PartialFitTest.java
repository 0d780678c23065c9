package dev.vigil.padim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

/** Partial fits: their files keep the float64 sums exactly, and merged they are the fit of all their frames. */
class PartialFitTest {
    private static final int W = 4;
    private static final int H = 3;
    private static final int D = 6;

    @TempDir
    Path dir;

    private static ModelInfo info(int[] channels) {
        return new ModelInfo(new ModelInfo.Backbone("mobilenetv2", "ab".repeat(32), new int[]{24, 32, 96}, "resize",
                W * 4, H * 4), new ModelInfo.Embedding(W, H, channels, 1), new ModelInfo.Fit(0.01, 0),
                ThresholdStats.none(), ModelInfo.FrameScoring.PLAIN,
                new ModelInfo.Origin(Instant.parse("2026-11-29T00:00:00Z"), "cam-1", null));
    }

    private static EmbeddingBatch batch(int images, long seed) {
        Random rnd = new Random(seed);
        EmbeddingBatch b = EmbeddingBatch.allocate(W * H, D, images);
        for (int i = 0; i < b.values().length; i++) {
            b.values()[i] = (float) (rnd.nextGaussian() * (1 + i % 3) + 5);
        }
        return b;
    }

    private static PartialFit fit(long seed, int images, int[] channels) {
        GaussianAccumulator acc = new GaussianAccumulator(W * H, D);
        acc.add(batch(images, seed), images);
        return new PartialFit(info(channels).withTrainingFrames(images), acc);
    }

    private static final int[] CHANNELS = {0, 3, 20, 40, 77, 100};

    @Test
    void mergedFilesGiveTheFitOfAllTheirFrames() throws IOException {
        Path a = dir.resolve("a.vgp");
        Path b = dir.resolve("b.vgp");
        PartialFitFile.write(a, fit(1, 40, CHANNELS));
        PartialFitFile.write(b, fit(2, 25, CHANNELS));
        assertThat(Files.size(a)).isGreaterThan(PartialFitFile.payloadBytes(W * H, D));

        PartialFit merged = PartialFit.merge(List.of(PartialFitFile.read(a), PartialFitFile.read(b)),
                List.of(a.toString(), b.toString()));
        GaussianAccumulator whole = new GaussianAccumulator(W * H, D);
        whole.add(List.of(batch(40, 1), batch(25, 2)), new int[]{40, 25});
        assertThat(merged.info().trainingFrames()).isEqualTo(65);
        assertThat(merged.accumulator().count()).isEqualTo(65);
        for (int p = 0; p < W * H; p++) {
            assertThat(merged.accumulator().mean(p)).containsExactly(whole.mean(p), within(1e-9));
            assertThat(merged.accumulator().covariance(p, 0.01)).containsExactly(whole.covariance(p, 0.01),
                    within(1e-5));
        }
        try (PadimModel model = merged.finish()) {
            assertThat(model.info().threshold().frames()).isZero();
            assertThat(model.info().trainingFrames()).isEqualTo(65);
        }
    }

    @Test
    void aPartialFitReadsBackBitForBit() throws IOException {
        PartialFit part = fit(3, 30, CHANNELS);
        Path file = dir.resolve("p.vgp");
        PartialFitFile.write(file, part);
        PartialFit back = PartialFitFile.read(file);
        assertThat(back.accumulator().count()).isEqualTo(30);
        assertThat(back.info().channelIndices()).containsExactly(CHANNELS);
        for (int p = 0; p < W * H; p++) {
            assertThat(back.accumulator().comoment(p)).containsExactly(part.accumulator().comoment(p));
            assertThat(back.accumulator().mean(p)).containsExactly(part.accumulator().mean(p));
        }
    }

    @Test
    void damagedOrMistakenFilesAreRefusedWithTheCheckThatFailed() throws IOException {
        Path file = dir.resolve("p.vgp");
        PartialFitFile.write(file, fit(4, 20, CHANNELS));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 40] ^= 0x10;
        Path damaged = dir.resolve("damaged.vgp");
        Files.write(damaged, bytes);
        ModelFileException e = catchThrowableOfType(() -> PartialFitFile.read(damaged), ModelFileException.class);
        assertThat(e.check()).isEqualTo(ModelFileException.Check.PAYLOAD_CHECKSUM);
        assertThat(e.getMessage()).contains(damaged.toString());

        // a partial fit is not a model, and the other way round: each says what it is
        assertThatThrownBy(() -> ModelFile.read(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("is a partial fit").hasMessageContaining("vigil model merge");
        Path model = dir.resolve("m.vgm");
        try (PadimModel finished = fit(5, 20, CHANNELS).finish()) {
            ModelFile.write(model, finished);
        }
        assertThatThrownBy(() -> PartialFitFile.read(model)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("is a finished model, not a partial fit");
    }

    @Test
    void absurdSizesAreRefusedBeforeTheSumsAreAllocated() throws IOException {
        Path file = dir.resolve("p.vgp");
        PartialFitFile.write(file, fit(6, 20, CHANNELS));
        // 2^28 positions: 58 GB of float64 sums that the file does not hold, refused by its length
        int positions = 1 << 28;
        long claimed = PartialFitFile.payloadBytes(positions, D);
        Path big = ModelFileTest.withHeader(file, "big.vgp", h -> h
                .replace("\"grid_width\" : " + W + ",\n  \"grid_height\" : " + H,
                        "\"grid_width\" : 16384,\n  \"grid_height\" : 16384")
                .replace("\"positions\" : " + W * H, "\"positions\" : " + positions)
                .replace("\"payload_bytes\" : " + PartialFitFile.payloadBytes(W * H, D),
                        "\"payload_bytes\" : " + claimed));
        ModelFileException e = catchThrowableOfType(() -> PartialFitFile.read(big), ModelFileException.class);
        assertThat(e.check()).isEqualTo(ModelFileException.Check.TRUNCATED);
        assertThat(e.file()).isEqualTo(big);
        assertThat(e.getMessage())
                .startsWith("model file " + big + " truncated: expected " + claimed + " payload bytes");

        // cut inside the sums
        byte[] bytes = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.vgp"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        e = catchThrowableOfType(() -> PartialFitFile.read(cut), ModelFileException.class);
        assertThat(e.check()).isEqualTo(ModelFileException.Check.TRUNCATED);
        assertThat(e.getMessage()).contains(cut.toString(), "truncated: expected");
    }

    @Test
    void sharesFittedDifferentlyDoNotMerge() {
        assertThatThrownBy(() -> PartialFit.merge(List.of(fit(1, 10, CHANNELS), fit(2, 10, new int[]{1, 3, 20, 40, 77,
                100})), List.of("a.vgp", "b.vgp")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("b.vgp").hasMessageContaining("channel selection");
    }
}
