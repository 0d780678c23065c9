package dev.vigil.media;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GrayPngTest {
    @Test
    void imageIoReadsBackEveryGreyLevelExactly() throws Exception {
        int w = 57, h = 31;
        byte[] pixels = new byte[w * h];
        new Random(3).nextBytes(pixels);
        pixels[0] = (byte) 255;
        pixels[1] = 0;

        BufferedImage img = ImageIO.read(new ByteArrayInputStream(GrayPng.encode(pixels, w, h)));

        assertThat(img.getWidth()).isEqualTo(w);
        assertThat(img.getHeight()).isEqualTo(h);
        assertThat(img.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertThat(img.getRaster().getSample(x, y, 0)).as("pixel %d,%d", x, y).isEqualTo(pixels[y * w + x] & 0xff);
            }
        }
    }

    @Test
    void aSmoothMapStaysSmall() {
        int w = 56, h = 56;
        byte[] pixels = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                pixels[y * w + x] = (byte) (128 + 100 * Math.sin(x / 9.0) * Math.cos(y / 7.0));
            }
        }
        assertThat(GrayPng.encode(pixels, w, h).length).isLessThan(w * h / 2);
    }

    @Test
    void aPixelCountThatDoesNotMatchTheSizeIsRefused() {
        assertThatThrownBy(() -> GrayPng.encode(new byte[10], 4, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4x3").hasMessageContaining("12").hasMessageContaining("10");
    }
}
