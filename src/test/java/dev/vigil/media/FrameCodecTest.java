package dev.vigil.media;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Codec names, and the round trip that gives an offline evaluation the pixels a frame through Kafka has. */
class FrameCodecTest {
    private static final RgbImage IMAGE = SyntheticScene.generate(64, 48, 1, 2, -1, -1).get(0);

    @Test
    void codecsParseByName() {
        assertThat(FrameCodec.parse("png")).hasToString("png");
        assertThat(FrameCodec.parse("JPEG:75")).isEqualTo(new FrameCodec("jpeg", 75));
        assertThat(FrameCodec.parse("jpg")).isEqualTo(FrameCodec.DEFAULT).hasToString("jpeg:90");
        assertThatThrownBy(() -> FrameCodec.parse("jpeg:101")).hasMessageContaining("jpeg:Q (Q in 1..100) or png");
    }

    @Test
    void noneIsACodecOnlyWhereFramesNeedNotBeEncoded() {
        assertThat(FrameCodec.parseOrNone("none")).isEmpty();
        assertThat(FrameCodec.parseOrNone(" None ")).isEmpty();
        assertThat(FrameCodec.parseOrNone("png")).isEqualTo(Optional.of(FrameCodec.parse("png")));
        assertThatThrownBy(() -> FrameCodec.parseOrNone("webp"))
                .hasMessage("frame codec must be jpeg:Q (Q in 1..100), png or none, got 'webp'");
        assertThatThrownBy(() -> FrameCodec.parse("none")).hasMessageContaining("'none' applies to eval only");
    }

    @Test
    void theRoundTripIsWhatAConsumerDecodes() throws Exception {
        FrameCodec jpeg = FrameCodec.parse("jpeg:90");
        RgbImage roundTrip = jpeg.roundTrip(IMAGE);
        assertThat(roundTrip.pixels()).isEqualTo(FrameCodec.decode(jpeg.encode(IMAGE)).pixels())
                .isNotEqualTo(IMAGE.pixels());
        assertThat(FrameCodec.parse("png").roundTrip(IMAGE).pixels()).isEqualTo(IMAGE.pixels());
    }

    @Test
    void aJpegDecodesCloseToWhatWasEncoded() throws Exception {
        RgbImage decoded = FrameCodec.decode(FrameCodec.parse("jpeg:90").encode(IMAGE));
        assertThat(decoded.width()).isEqualTo(IMAGE.width());
        assertThat(decoded.height()).isEqualTo(IMAGE.height());
        double error = 0;
        for (int i = 0; i < IMAGE.pixels().length; i++) {
            error += Math.abs((decoded.pixels()[i] & 0xff) - (IMAGE.pixels()[i] & 0xff));
        }
        assertThat(error / IMAGE.pixels().length).as("mean absolute error per channel").isLessThan(6);
    }

    /**
     * Widths whose RGB rows are not a multiple of swscale's vector size (360 is UCSD Ped2's): decoding them wrote past
     * the end of the native buffer and corrupted the heap (`train` on a Ped2 clip aborted in malloc). Each row must
     * come back where it belongs, and many decodes in a row must leave the process standing.
     */
    @Test
    void framesOfAnyWidthDecodeRowByRow() throws Exception {
        for (int[] size : new int[][]{{360, 240}, {361, 17}, {50, 30}}) {
            RgbImage image = SyntheticScene.generate(size[0], size[1], 1, 2, -1, -1).get(0);
            byte[] jpeg = FrameCodec.parse("jpeg:95").encode(image);
            RgbImage decoded = null;
            for (int i = 0; i < 50; i++) {
                decoded = FrameCodec.decode(jpeg);
            }
            assertThat(decoded.width()).isEqualTo(size[0]);
            assertThat(decoded.height()).isEqualTo(size[1]);
            // against ImageIO's decoder of the same bytes, per row, so that a row shifted by the padding shows even
            // where the mean over the image would hide it (the two decoders' chroma upsampling differs by up to
            // about 8 on a row along a sharp edge)
            java.awt.image.BufferedImage reference = FrameCodec.readImage(jpeg);
            double total = 0;
            for (int y = 0; y < size[1]; y++) {
                double error = 0;
                for (int x = 0; x < size[0]; x++) {
                    int rgb = reference.getRGB(x, y);
                    int i = (y * size[0] + x) * 3;
                    error += Math.abs((decoded.pixels()[i] & 0xff) - ((rgb >> 16) & 0xff))
                            + Math.abs((decoded.pixels()[i + 1] & 0xff) - ((rgb >> 8) & 0xff))
                            + Math.abs((decoded.pixels()[i + 2] & 0xff) - (rgb & 0xff));
                }
                assertThat(error / (3 * size[0])).as("row %d of %dx%d", y, size[0], size[1]).isLessThan(10);
                total += error;
            }
            assertThat(total / (3.0 * size[0] * size[1])).as("%dx%d", size[0], size[1]).isLessThan(2);
        }
    }

    @Test
    void aDamagedJpegIsRefusedNotHalfDecoded() throws Exception {
        byte[] jpeg = FrameCodec.parse("jpeg:90").encode(IMAGE);
        byte[] truncated = java.util.Arrays.copyOf(jpeg, jpeg.length / 2);
        assertThatThrownBy(() -> FrameCodec.decode(truncated))
                .isInstanceOf(MediaException.class)
                .hasMessageContaining("damaged JPEG frame of " + truncated.length + " bytes");
        byte[] notAnImage = "no picture here".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> FrameCodec.decode(notAnImage))
                .isInstanceOf(MediaException.class)
                .hasMessageContaining("neither a JPEG nor a PNG");
    }
}
