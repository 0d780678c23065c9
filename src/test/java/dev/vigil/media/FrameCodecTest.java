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
