package dev.vigil.media;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32;

import static dev.vigil.media.CraftedImages.insert;
import static dev.vigil.media.CraftedImages.segment;
import static dev.vigil.media.FrameCodec.DEFAULT_MAX_PIXELS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Codec names, the round trip that gives an offline evaluation the pixels a frame through Kafka has, and frames refused
 * from their header before a decoder allocates for them.
 */
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

    /** The frame: 2 MB of PNG declaring 26000 x 26000 pixels (2 GB of RGB), refused from its IHDR. */
    @Test
    void aPngDecompressionBombIsRefusedBeforeItIsDecoded() {
        byte[] bomb = CraftedImages.blackPng(26000, 26000);
        assertThat(bomb.length).isLessThan(2 << 20);
        long before = allocatedBytes();
        assertThatThrownBy(() -> FrameCodec.decode(bomb, 26000, 26000, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class)
                .hasMessage("PNG frame declares 26000x26000 = 676000000 pixels, above the limit of 8294400 "
                        + "(max-frame-pixels)");
        assertThatThrownBy(() -> FrameCodec.decode(bomb)).isInstanceOf(MediaException.class)
                .hasMessageContaining("above the limit of 8294400");
        assertThatThrownBy(() -> FrameCodec.readImage(bomb)).isInstanceOf(MediaException.class)
                .hasMessageContaining("above the limit of 8294400");
        assertThat(allocatedBytes() - before).as("bytes allocated refusing it").isLessThan(8 << 20);
    }

    /** The bomb above is a real PNG: at a small size, built the same way, it decodes to black. */
    @Test
    void theCraftedBombIsAValidPng() throws Exception {
        byte[] png = CraftedImages.blackPng(300, 200, 4096);
        RgbImage image = FrameCodec.decode(png, 300, 200, DEFAULT_MAX_PIXELS);
        assertThat(image.pixels()).hasSize(300 * 200 * 3).containsOnly(0);
    }

    @Test
    void aJpegDeclaringAHugeSizeIsRefusedFromItsFrameHeader() throws Exception {
        byte[] jpeg = FrameCodec.parse("jpeg:90").encode(IMAGE);
        byte[] huge = CraftedImages.withSize(jpeg, 65000, 65000);
        assertThatThrownBy(() -> FrameCodec.decode(huge, 65000, 65000, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class)
                .hasMessage("JPEG frame declares 65000x65000 = 4225000000 pixels, above the limit of 8294400 "
                        + "(max-frame-pixels)");
        byte[] large = CraftedImages.withSize(jpeg, 5000, 5000);
        assertThatThrownBy(() -> FrameCodec.decode(large)).isInstanceOf(MediaException.class)
                .hasMessage("JPEG frame declares 5000x5000 = 25000000 pixels, above the limit of 8294400 "
                        + "(max-frame-pixels)");
        assertThatThrownBy(() -> FrameCodec.decode(jpeg, 64, 48, 64 * 48 - 1)).isInstanceOf(MediaException.class)
                .hasMessageContaining("above the limit of 3071");
    }

    /**
     * FFmpeg looks for markers inside a segment it does not parse (JPG0, 0xfff0), which the header's walk skips by
     * its length: a whole JPEG hidden there is what FFmpeg decodes. It refuses a larger picture before allocating it
     * (max_pixels), rather than decoding it for the size check after; a smaller one fails that check.
     */
    @Test
    void aLargerPictureOnlyFfmpegWouldFindIsRefusedBeforeItIsAllocated() throws Exception {
        byte[] inner = FrameCodec.parse("jpeg:50").encode(SyntheticScene.generate(320, 240, 1, 2, -1, -1).get(0));
        byte[] jpeg = insert(FrameCodec.parse("jpeg:90").encode(IMAGE), 2, segment(0xf0, inner));
        assertThat(ImageHeader.read(jpeg, "frame")).isEqualTo(new ImageHeader(ImageHeader.Format.JPEG, 64, 48));
        assertThatThrownBy(() -> FrameCodec.decode(jpeg, 64, 48, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class)
                .hasMessageStartingWith("damaged JPEG frame of " + jpeg.length + " bytes");
        byte[] small = FrameCodec.parse("jpeg:50").encode(SyntheticScene.generate(32, 24, 1, 2, -1, -1).get(0));
        byte[] disguised = insert(FrameCodec.parse("jpeg:90").encode(IMAGE), 2, segment(0xf0, small));
        assertThatThrownBy(() -> FrameCodec.decode(disguised, 64, 48, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class)
                .hasMessage("JPEG frame of " + disguised.length + " bytes decodes to 32x24, not the 64x48 its frame "
                        + "header declares");
    }

    @Test
    void aFrameOfAnotherSizeThanItsRecordIsRefusedNamingBoth() throws Exception {
        byte[] png = FrameCodec.parse("png").encode(IMAGE);
        assertThatThrownBy(() -> FrameCodec.decode(png, 640, 480, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class).hasMessage("PNG frame declares 64x48 but its record says 640x480");
        byte[] jpeg = FrameCodec.parse("jpeg:90").encode(IMAGE);
        assertThatThrownBy(() -> FrameCodec.decode(jpeg, 48, 64, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class).hasMessage("JPEG frame declares 64x48 but its record says 48x64");
    }

    @Test
    void onlyWholePngAndJpegFramesDecode() throws Exception {
        byte[] png = FrameCodec.parse("png").encode(IMAGE);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        assertThatThrownBy(() -> FrameCodec.decode(truncated, 64, 48, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class)
                .hasMessageStartingWith("PNG frame of " + truncated.length + " bytes: its IDAT chunk at byte 33 "
                        + "declares");
        byte[] jpeg = FrameCodec.parse("jpeg:90").encode(IMAGE);
        byte[] headless = Arrays.copyOf(jpeg, CraftedImages.sofOffset(jpeg) + 4);
        assertThatThrownBy(() -> FrameCodec.decode(headless, 64, 48, DEFAULT_MAX_PIXELS))
                .isInstanceOf(MediaException.class).hasMessageContaining("past the end of the data");
        java.awt.image.BufferedImage image = ImageFiles.toBufferedImage(IMAGE);
        for (String format : new String[]{"gif", "bmp"}) {
            byte[] other = CraftedImages.encode(image, format);
            assertThatThrownBy(() -> FrameCodec.decode(other, 64, 48, DEFAULT_MAX_PIXELS))
                    .isInstanceOf(MediaException.class)
                    .hasMessageStartingWith("frame of " + other.length + " bytes is neither a JPEG nor a PNG image");
            assertThatThrownBy(() -> FrameCodec.decode(other)).isInstanceOf(MediaException.class);
            assertThatThrownBy(() -> FrameCodec.readImage(other)).isInstanceOf(MediaException.class);
        }
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 200; i++) {
            byte[] noise = new byte[random.nextInt(4000)];
            random.nextBytes(noise);
            assertThatThrownBy(() -> FrameCodec.decode(noise, 64, 48, DEFAULT_MAX_PIXELS))
                    .isInstanceOf(MediaException.class);
        }
    }

    /**
     * A palette PNG carrying compressed text: ImageIO inflates every text chunk whenever it reads metadata, 1.2 GB for
     * this frame's 400 KB, and some JDK builds read a palette image's metadata even when told not to. The frame's
     * pixels need none of them, and they never reach ImageIO.
     */
    @Test
    void aPaletteFramesCompressedTextIsNeverInflated() throws Exception {
        java.awt.image.IndexColorModel palette = new java.awt.image.IndexColorModel(8, 2, new byte[]{10, 20},
                new byte[]{30, 40}, new byte[]{50, 60});
        java.awt.image.BufferedImage indexed = new java.awt.image.BufferedImage(64, 48,
                java.awt.image.BufferedImage.TYPE_BYTE_INDEXED, palette);
        indexed.getRaster().setSample(5, 7, 0, 1);
        byte[] png = CraftedImages.encode(indexed, "png");
        byte[] text = CraftedImages.zlibZeros(1 << 20, 1 << 20);
        byte[] ztxt = new byte[text.length + 3];
        ztxt[0] = 'x';  // keyword "x", its terminator, compression method 0, then the zlib stream
        System.arraycopy(text, 0, ztxt, 3, text.length);
        byte[] chunk = CraftedImages.chunk("zTXt", ztxt);
        byte[] bomb = png;
        for (int i = 0; i < 400; i++) {
            bomb = insert(bomb, 33, chunk);
        }
        assertThat(bomb.length).isLessThan(600_000);
        byte[] frame = bomb;
        long before = allocatedBytes();
        RgbImage decoded = FrameCodec.decode(frame, 64, 48, DEFAULT_MAX_PIXELS);
        assertThat(allocatedBytes() - before).as("bytes allocated decoding it").isLessThan(8 << 20);
        assertThat(decoded.pixels()).isEqualTo(FrameCodec.decode(png).pixels());
        assertThat(ImageFilesTest.rgb(decoded, 5, 7)).containsExactly(20, 40, 60);
    }

    /**
     * The header check changes nothing for a frame within the limit: the pixels are those decoded before it (CRC-32s
     * taken on this build before the check, of the same encoded bytes), and the plain decode gives the same.
     */
    @Test
    void framesWithinTheLimitDecodeExactlyAsBefore() throws Exception {
        byte[] baseline = FrameCodec.parse("jpeg:90").encode(IMAGE);
        byte[] progressive = CraftedImages.jpeg(IMAGE, true);
        byte[] png = FrameCodec.parse("png").encode(IMAGE);
        assumeTrue(crc(baseline) == 0x0500dafeL && crc(progressive) == 0x654e52a2L,
                "ImageIO encodes the bytes the pixels' CRCs were taken from");
        for (byte[] jpeg : new byte[][]{baseline, progressive}) {
            RgbImage decoded = FrameCodec.decode(jpeg, 64, 48, DEFAULT_MAX_PIXELS);
            assertThat(crc(decoded.pixels())).isEqualTo(0x1d6e4768L);
            assertThat(FrameCodec.decode(jpeg).pixels()).isEqualTo(decoded.pixels());
        }
        assertThat(FrameCodec.decode(png, 64, 48, DEFAULT_MAX_PIXELS).pixels()).isEqualTo(IMAGE.pixels());
        assertThat(ImageFiles.fromBufferedImage(FrameCodec.readImage(png)).pixels()).isEqualTo(IMAGE.pixels());
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Bytes this thread has allocated on the heap so far. */
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
