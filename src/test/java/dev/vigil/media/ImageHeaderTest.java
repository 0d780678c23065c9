package dev.vigil.media;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Random;

import static dev.vigil.media.CraftedImages.chunk;
import static dev.vigil.media.CraftedImages.ihdr;
import static dev.vigil.media.CraftedImages.iend;
import static dev.vigil.media.CraftedImages.insert;
import static dev.vigil.media.CraftedImages.png;
import static dev.vigil.media.CraftedImages.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The size an image declares, read from its header without decoding, and every malformed header refused. */
class ImageHeaderTest {
    private static final RgbImage IMAGE = SyntheticScene.generate(64, 48, 1, 2, -1, -1).get(0);
    private static final byte[] PNG = CraftedImages.encode(ImageFiles.toBufferedImage(IMAGE), "png");
    private static final byte[] JPEG = CraftedImages.jpeg(IMAGE, false);
    private static final byte[] IDAT = chunk("IDAT", new byte[]{0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});

    @Test
    void readsAPngsSizeFromItsIhdr() throws Exception {
        assertThat(ImageHeader.read(PNG, "frame")).isEqualTo(new ImageHeader(ImageHeader.Format.PNG, 64, 48));
        assertThat(ImageHeader.read(png(ihdr(26000, 26000, 16, 6), IDAT, iend()), "frame").pixels())
                .isEqualTo(676_000_000L);
    }

    @Test
    void readsBaselineAndProgressiveFrameHeaders() throws Exception {
        byte[] progressive = CraftedImages.jpeg(IMAGE, true);
        assertThat(JPEG[CraftedImages.sofOffset(JPEG) + 1] & 0xff).as("baseline: SOF0").isEqualTo(0xc0);
        assertThat(progressive[CraftedImages.sofOffset(progressive) + 1] & 0xff).as("progressive: SOF2")
                .isEqualTo(0xc2);
        assertThat(ImageHeader.read(JPEG, "frame")).isEqualTo(new ImageHeader(ImageHeader.Format.JPEG, 64, 48));
        assertThat(ImageHeader.read(progressive, "frame")).isEqualTo(new ImageHeader(ImageHeader.Format.JPEG, 64, 48));
    }

    /** SOF0-3, 5-7, 9-11 and 13-15 are frame headers; DHT, JPG and DAC share their range but are not. */
    @Test
    void everyKindOfFrameHeaderIsReadAndNothingElse() throws Exception {
        int sof = CraftedImages.sofOffset(JPEG);
        for (int marker = 0xc0; marker <= 0xcf; marker++) {
            byte[] patched = JPEG.clone();
            patched[sof + 1] = (byte) marker;
            if (marker == 0xc4 || marker == 0xc8 || marker == 0xcc) {
                assertThatThrownBy(() -> ImageHeader.read(patched, "frame")).isInstanceOf(MediaException.class)
                        .hasMessage("JPEG frame of " + JPEG.length + " bytes starts its scan (SOS) before any frame "
                                + "header (SOF marker)");
            } else {
                assertThat(ImageHeader.read(patched, "frame").width()).as("marker 0x%x", marker).isEqualTo(64);
            }
        }
    }

    @Test
    void segmentsBeforeTheFrameHeaderAreSkippedByTheirLength() throws Exception {
        // an application segment and a comment holding what looks like a frame header of 5000x5000
        byte[] fake = CraftedImages.sof0(5000, 5000);
        byte[] jpeg = insert(insert(JPEG, 2, segment(0xe1, fake)), 2, segment(0xfe, fake));
        assertThat(ImageHeader.read(jpeg, "frame")).isEqualTo(new ImageHeader(ImageHeader.Format.JPEG, 64, 48));
        // fill bytes before a marker are allowed
        assertThat(ImageHeader.read(insert(JPEG, 2, new byte[]{(byte) 0xff, (byte) 0xff}), "frame").height())
                .isEqualTo(48);
    }

    @Test
    void malformedJpegMarkersAreRefused() {
        byte[] soi = {(byte) 0xff, (byte) 0xd8};
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xe0, 0, 0}),
                "JPEG frame of 6 bytes: its marker 0xffe0 (APP0) at byte 2 declares a length of 0, less than the "
                        + "length field itself");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xdb, 0, 1}), "declares a length of 1");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xe1, (byte) 0xff, (byte) 0xf0, 1, 2, 3}),
                "JPEG frame of 9 bytes: its marker 0xffe1 (APP1) at byte 2 declares 65520 bytes, past the end of "
                        + "the data");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xe1, 0}), "ends inside the length of its marker 0xffe1");
        refused(soi, "JPEG frame of 2 bytes ends before its frame header (SOF marker)");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xff}), "ends before its frame header");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xd9}), "ends (EOI) before any frame header");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xda, 0, 2}), "starts its scan (SOS) before any frame header");
        refused(join(soi, new byte[]{0x12, 0x34}), "has no marker at byte 2 (0x12 where 0xff was due)");
        refused(join(soi, new byte[]{(byte) 0xff, 0x00}), "invalid marker 0xff00 at byte 2");
        refused(join(soi, new byte[]{(byte) 0xff, (byte) 0xd8}), "invalid marker 0xffd8 at byte 2");
        refused(join(soi, segment(0xf7, new byte[]{8, 0, 1, 0, 1, 1, 1, 0x11, 0})), "JPEG-LS");
        // frame headers: their length must match their components, their size must not be left to a DNL marker
        refused(join(soi, segment(0xc0, new byte[]{8, 0, 48, 0, 64, 3, 1, 0x22, 0})),
                "its frame header 0xffc0 (SOF0) at byte 2 has 11 bytes for 3 components");
        refused(join(soi, segment(0xc0, new byte[]{8, 0, 48, 0, 64})), "has 7 bytes for 0 components");
        refused(join(soi, CraftedImages.sof0(64, 0)), "0xffc0 (SOF0) at byte 2 declares a size of 64x0");
    }

    @Test
    void malformedPngChunksAreRefused() {
        byte[] ihdr = ihdr(64, 48, 8, 2);
        refused(png(chunk("IHDR", new byte[12]), IDAT, iend()), "has an IHDR chunk of 12 bytes, not 13");
        refused(png(IDAT, ihdr, iend()), "does not start with an IHDR chunk");
        refused(png(ihdr(0, 48, 8, 2), IDAT, iend()), "declares a size of 0x48");
        refused(png(ihdr(1L << 31, 48, 8, 2), IDAT, iend()), "declares a size of 2147483648x48");
        refused(png(ihdr(64, 48, 4, 2), IDAT, iend()),
                "declares colour type 2 at bit depth 4, which PNG does not define");
        refused(png(ihdr(64, 48, 8, 5), IDAT, iend()), "colour type 5 at bit depth 8");
        refused(png(ihdr(64, 48, 16, 3), IDAT, iend()), "colour type 3 at bit depth 16");
        refused(png(ihdr, IDAT, ihdr(26000, 26000, 8, 2), iend()), "has a second IHDR chunk at byte 53");
        refused(png(ihdr, iend()), "has no IDAT chunk");
        refused(png(ihdr, IDAT), "ends at byte 53 without its IEND chunk");
        byte[] liar = png(ihdr, IDAT, iend());
        liar[33] = 0x7f;  // IDAT's length: 2 GB
        refused(liar, "its IDAT chunk at byte 33 declares 2130706440 bytes, past the end of the data");
        byte[] noType = png(ihdr, IDAT, iend());
        noType[37] = 0;
        refused(noType, "has no chunk type at byte 37 (not four letters)");
        byte[] interlace = png(ihdr, IDAT, iend());
        interlace[28] = 2;
        refused(interlace, "interlace method 2");
    }

    @Test
    void everyTruncationIsRefusedOrStillHasItsHeader() {
        for (byte[] image : new byte[][]{PNG, JPEG}) {
            for (int n = 0; n < image.length; n++) {
                byte[] cut = Arrays.copyOf(image, n);
                try {
                    // a JPEG cut after its frame header still declares its size; a PNG needs its IEND
                    assertThat(ImageHeader.read(cut, "frame")).as("%d of %d bytes", n, image.length)
                            .isEqualTo(new ImageHeader(ImageHeader.Format.JPEG, 64, 48));
                } catch (MediaException expected) {
                    assertThat(expected.getMessage()).isNotBlank();
                }
            }
        }
    }

    /** Random bytes, and valid images with bytes of their headers changed: a header or a MediaException, never else. */
    @Test
    void damagedBytesAreOnlyEverRefused() {
        Random random = new Random(42);
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes;
            if (i % 3 == 0) {
                bytes = new byte[random.nextInt(120)];
                random.nextBytes(bytes);
                if (i % 2 == 0 && bytes.length >= 2) {
                    bytes[0] = (byte) 0xff;
                    bytes[1] = (byte) 0xd8;
                }
            } else {
                byte[] image = i % 3 == 1 ? PNG : JPEG;
                bytes = image.clone();
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    // mostly within the header, where the walk reads
                    bytes[random.nextInt(Math.min(bytes.length, 700))] = (byte) random.nextInt(256);
                }
                bytes = Arrays.copyOf(bytes, bytes.length - random.nextInt(bytes.length / 2));
            }
            try {
                ImageHeader header = ImageHeader.read(bytes, "frame");
                assertThat(header.width()).isPositive();
                assertThat(header.height()).isPositive();
            } catch (MediaException expected) {
                refused++;
            } catch (RuntimeException e) {
                fail("bytes %s threw %s", Arrays.toString(bytes), e);
            }
        }
        assertThat(refused).isGreaterThan(10_000);
    }

    @Test
    void otherFormatsAreRefusedByName() {
        BufferedImage image = ImageFiles.toBufferedImage(IMAGE);
        byte[] gif = CraftedImages.encode(image, "gif");
        refused(gif, "frame of " + gif.length + " bytes is neither a JPEG nor a PNG image (it looks like a GIF)");
        refused(CraftedImages.encode(image, "bmp"), "(it looks like a BMP)");
        refused(new byte[]{1, 2, 3}, "frame of 3 bytes is neither a JPEG nor a PNG image");
        refused(new byte[0], "frame of 0 bytes is neither a JPEG nor a PNG image");
    }

    @Test
    void aSizeAboveTheLimitIsRefusedNamingTheLimit() throws Exception {
        ImageHeader header = ImageHeader.read(png(ihdr(26000, 26000, 8, 2), IDAT, iend()), "frame");
        assertThatThrownBy(() -> header.requireAtMost(3840L * 2160, "frame", "max-frame-pixels"))
                .isInstanceOf(MediaException.class)
                .hasMessage("PNG frame declares 26000x26000 = 676000000 pixels, above the limit of 8294400 "
                        + "(max-frame-pixels)");
        assertThat(header.requireAtMost(676_000_000L, "frame", "max-frame-pixels")).isSameAs(header);
    }

    /** ImageIO parses a palette image's other chunks, compressed text included: only the pixel chunks reach it. */
    @Test
    void onlyThePixelChunksAreKept() throws Exception {
        assertThat(ImageHeader.pngPixelChunks(PNG)).isSameAs(PNG);
        byte[] plte = chunk("PLTE", new byte[]{0, 0, 0, 1, 2, 3});
        byte[] trns = chunk("tRNS", new byte[]{0});
        byte[] ztxt = chunk("zTXt", new byte[]{'a', 0, 0, 0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});
        byte[] ihdr = ihdr(2, 1, 8, 3);
        byte[] stripped = ImageHeader.pngPixelChunks(png(ihdr, ztxt, plte, trns, chunk("tEXt", new byte[]{'b', 0}),
                IDAT, iend(), new byte[]{1, 2, 3}));
        assertThat(stripped).isEqualTo(png(ihdr, plte, trns, IDAT, iend()));
    }

    private static void refused(byte[] bytes, String reason) {
        assertThatThrownBy(() -> ImageHeader.read(bytes, "frame")).isInstanceOf(MediaException.class)
                .hasMessageContaining(reason);
    }

    private static byte[] join(byte[] a, byte[] b) {
        return insert(a, a.length, b);
    }
}
