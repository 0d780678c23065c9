package dev.vigil.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    static final Path SHARED = Path.of(System.getProperty("vigil.shared"));
    static final Path BOTTLE = SHARED.resolve("datasets/mvtec-bottle");
    static final Path PED2_TEST = SHARED.resolve("datasets/ucsd-ped2/test");

    @TempDir
    Path tmp;

    @Test
    void readsAnRgbPngWithThePixelsPillowSees() throws IOException {
        RgbImage img = ImageFiles.read(BOTTLE.resolve("test/good/000.png"));
        assertThat(img.width()).isEqualTo(256);
        assertThat(img.height()).isEqualTo(256);
        assertThat(rgb(img, 0, 0)).containsExactly(255, 255, 255);
        assertThat(rgb(img, 128, 100)).containsExactly(33, 34, 46);  // from Pillow's getpixel
    }

    @Test
    void readsOneBitMasksAndResizesThemByNearestNeighbour() throws IOException {
        Path gt = PED2_TEST.resolve("Test001_gt/070.png");
        // true-pixel counts from Pillow: (convert("L") > 127).sum(), after resize(size, NEAREST) where resized
        assertThat(count(ImageFiles.readMask(gt, 360, 240))).isEqualTo(597);
        assertThat(count(ImageFiles.readMask(gt, 224, 224))).isEqualTo(344);
        // Pillow counts 1158 here: its 16.16 fixed-point coordinates send centres that fall exactly on a pixel
        // boundary (x = 12.5 * 0.72 = 9) to the left pixel; exact integer arithmetic takes the right one.
        assertThat(count(ImageFiles.readMask(gt, 500, 333))).isEqualTo(1160);
        assertThat(count(ImageFiles.readMask(BOTTLE.resolve("ground_truth/broken_large/006_mask.png"), 256, 256)))
                .isEqualTo(10013);
    }

    @Test
    void grayIsReplicatedWithoutGamma() throws IOException {
        BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSamples(0, 0, 3, 2, 0, new int[] {0, 100, 200, 255, 1, 128});
        RgbImage img = ImageFiles.read(save(gray, "gray.png"));
        assertThat(rgb(img, 1, 0)).containsExactly(100, 100, 100);
        assertThat(rgb(img, 2, 1)).containsExactly(128, 128, 128);
    }

    @Test
    void paletteAndAlphaImagesBecomeRgb() throws IOException {
        byte[] r = {10, (byte) 200};
        byte[] g = {20, 0};
        byte[] b = {30, (byte) 250};
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 2, r, g, b));
        indexed.getRaster().setSamples(0, 0, 2, 1, 0, new int[] {1, 0});
        RgbImage pal = ImageFiles.read(save(indexed, "palette.png"));
        assertThat(rgb(pal, 0, 0)).containsExactly(200, 0, 250);
        assertThat(rgb(pal, 1, 0)).containsExactly(10, 20, 30);

        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x80_0a141e);  // half-transparent: alpha is dropped, not composited
        argb.setRGB(1, 0, 0xff_fafbfc);
        RgbImage alpha = ImageFiles.read(save(argb, "alpha.png"));
        assertThat(rgb(alpha, 0, 0)).containsExactly(10, 20, 30);
        assertThat(rgb(alpha, 1, 0)).containsExactly(250, 251, 252);
        assertThat(rgb(ImageFiles.fromBufferedImage(argb), 1, 0)).containsExactly(250, 251, 252);
    }

    @Test
    void pngRoundTripIsLossless() throws IOException {
        RgbImage src = ImageResizeTest.pattern(17, 9);
        Path png = tmp.resolve("pattern.png");
        ImageFiles.write(png, src);
        assertThat(ImageFiles.read(png).pixels()).isEqualTo(src.pixels());
        assertThat(ImageFiles.fromBufferedImage(ImageFiles.toBufferedImage(src)).pixels()).isEqualTo(src.pixels());
    }

    @Test
    void readsJpeg() throws IOException {
        RgbImage src = ImageResizeTest.pattern(16, 16);
        Path jpg = tmp.resolve("pattern.jpg");
        assertThat(ImageIO.write(ImageFiles.toBufferedImage(src), "jpeg", jpg.toFile())).isTrue();
        RgbImage back = ImageFiles.read(jpg);
        assertThat(back.width()).isEqualTo(16);
        assertThat(back.height()).isEqualTo(16);
    }

    @Test
    void undecodableAndMissingFilesNameThePath() throws IOException {
        Path junk = Files.write(tmp.resolve("junk.png"), new byte[] {1, 2, 3, 4, 5});
        assertThatThrownBy(() -> ImageFiles.read(junk))
                .isInstanceOf(MediaException.class).hasMessageContaining(junk.toString()).hasMessageContaining("decode");
        byte[] png = Files.readAllBytes(BOTTLE.resolve("test/good/000.png"));
        Path truncated = Files.write(tmp.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 3));
        assertThatThrownBy(() -> ImageFiles.read(truncated))
                .isInstanceOf(MediaException.class).hasMessageContaining(truncated.toString());
        Path missing = tmp.resolve("missing.png");
        assertThatThrownBy(() -> ImageFiles.readMask(missing, 4, 4))
                .isInstanceOf(MediaException.class).hasMessageContaining(missing.toString())
                .hasMessageContaining("not found");
    }

    /** A file's header is read before it is decoded: above 8192 x 8192 pixels, it is refused naming the path. */
    @Test
    void aFileDeclaringMoreThanTheLimitIsRefusedBeforeDecoding() throws IOException {
        byte[] idat = CraftedImages.chunk("IDAT", new byte[]{0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});
        Path large = Files.write(tmp.resolve("large.png"),
                CraftedImages.png(CraftedImages.ihdr(8193, 8192, 8, 2), idat, CraftedImages.iend()));
        assertThatThrownBy(() -> ImageFiles.read(large))
                .isInstanceOf(MediaException.class)
                .hasMessage("cannot decode image " + large + ": PNG file declares 8193x8192 = 67117056 pixels, above "
                        + "the limit of 67108864 (ImageFiles.MAX_PIXELS)");
        byte[] jpeg = CraftedImages.jpeg(ImageResizeTest.pattern(16, 16), false);
        Path wide = Files.write(tmp.resolve("wide.jpg"), CraftedImages.withSize(jpeg, 65000, 1100));
        assertThatThrownBy(() -> ImageFiles.readMask(wide, 4, 4))
                .isInstanceOf(MediaException.class).hasMessageContaining(wide.toString())
                .hasMessageContaining("JPEG file declares 65000x1100 = 71500000 pixels");
    }

    @Test
    void onlyPngAndJpegFilesAreRead() throws IOException {
        BufferedImage image = ImageFiles.toBufferedImage(ImageResizeTest.pattern(8, 8));
        for (String format : new String[] {"gif", "bmp"}) {
            Path file = save(image, format, "pattern." + format);
            assertThatThrownBy(() -> ImageFiles.read(file))
                    .isInstanceOf(MediaException.class).hasMessageContaining(file.toString())
                    .hasMessageContaining("is neither a JPEG nor a PNG image (it looks like a " + format.toUpperCase());
        }
        assertThat(MediaInputs.isImage(tmp.resolve("a.bmp"))).isFalse();
    }

    private Path save(BufferedImage img, String format, String name) throws IOException {
        Path p = tmp.resolve(name);
        assertThat(ImageIO.write(img, format, p.toFile())).isTrue();
        return p;
    }

    private Path save(BufferedImage img, String name) throws IOException {
        Path p = tmp.resolve(name);
        assertThat(ImageIO.write(img, "png", p.toFile())).isTrue();
        return p;
    }

    static int[] rgb(RgbImage img, int x, int y) {
        return new int[] {img.get(x, y, 0), img.get(x, y, 1), img.get(x, y, 2)};
    }

    static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
