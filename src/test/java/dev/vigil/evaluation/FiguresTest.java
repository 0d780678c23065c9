package dev.vigil.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.media.RgbImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FiguresTest {

    private static final int CONTOUR = Figures.MASK_CONTOUR.getRGB() & 0xffffff;

    @TempDir
    Path dir;

    private static RgbImage grey(int width, int height) {
        byte[] pixels = new byte[width * height * 3];
        Arrays.fill(pixels, (byte) 128);
        return new RgbImage(width, height, pixels);
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xffffff;
    }

    private static int count(BufferedImage image, int colour) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += rgb(image, x, y) == colour ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void rocCurveIsA480SquarePngWithTheCurveDrawn() throws IOException {
        RocCurve roc = AnomalyMetrics.roc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        Path png = dir.resolve("figures/roc.png");

        Figures.writeRocCurve(png, roc, "mvtec-bottle, image level", roc.area());

        BufferedImage read = ImageIO.read(png.toFile());
        assertThat(read.getWidth()).isEqualTo(480);
        assertThat(read.getHeight()).isEqualTo(480);
        assertThat(rgb(read, 0, 0)).isEqualTo(0xffffff);
        assertThat(count(read, Figures.CURVE.getRGB() & 0xffffff)).isGreaterThan(300);
    }

    @Test
    void figuresAndTheFoldersMadeForThemAreOwnerOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vigil.files.PrivateFiles.posix(dir));
        RocCurve roc = AnomalyMetrics.roc(new double[] {0.1, 0.8}, new boolean[] {false, true});
        Path png = dir.resolve("report/overlays/roc.png");
        Figures.writeRocCurve(png, roc, "a report", roc.area());
        assertThat(mode(png)).isEqualTo("rw-------");
        assertThat(mode(png.getParent())).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("report"))).isEqualTo("rwx------");
    }

    private static String mode(Path p) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(p));
    }

    @Test
    void overlayOutlinesTheMaskAndColoursTheMapLikeJet() throws IOException {
        int width = 12;
        int height = 8;
        float[] map = new float[width * height];
        boolean[] mask = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                map[y * width + x] = x < width / 2 ? 0f : 10f;
                mask[y * width + x] = x >= 6 && x <= 9 && y >= 2 && y <= 5; // a 4x4 square
            }
        }

        BufferedImage overlay = Figures.overlay(grey(width, height), map, width, height, mask, 0f, 10f);
        Path png = dir.resolve("overlay.png");
        ImageIO.write(overlay, "png", png.toFile());
        BufferedImage read = ImageIO.read(png.toFile());

        assertThat(read.getWidth()).isEqualTo(width);
        assertThat(read.getHeight()).isEqualTo(height);
        for (int y = 2; y <= 5; y++) {
            for (int x = 6; x <= 9; x++) {
                boolean edge = x == 6 || x == 9 || y == 2 || y == 5;
                assertThat(rgb(read, x, y) == CONTOUR).as("(%d, %d) on the outline", x, y).isEqualTo(edge);
            }
        }
        assertThat(count(read, CONTOUR)).isEqualTo(12);
        int low = rgb(read, 1, 1);
        int high = rgb(read, 11, 7);
        assertThat(low & 0xff).as("vmin is blue").isGreaterThan((low >> 16) & 0xff);
        assertThat((high >> 16) & 0xff).as("vmax is red").isGreaterThan(high & 0xff);
    }

    @Test
    void overlayResizesTheImageToTheMapAndDrawsNoOutlineWithoutMask() {
        float[] map = new float[8 * 6];
        BufferedImage overlay = Figures.overlay(grey(32, 24), map, 8, 6, null, 0f, 1f);

        assertThat(overlay.getWidth()).isEqualTo(8);
        assertThat(overlay.getHeight()).isEqualTo(6);
        assertThat(count(overlay, CONTOUR)).isZero();
    }

    @Test
    void overlayRejectsAMapOfTheWrongSize() {
        assertThatThrownBy(() -> Figures.overlay(grey(4, 4), new float[15], 4, 4, null, 0f, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4x4");
    }

    @Test
    void stripWrapsAfterFourTilesWithCaptions() throws IOException {
        int[] colours = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff};
        List<BufferedImage> tiles = Arrays.stream(colours).mapToObj(c -> {
            BufferedImage tile = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 30; y++) {
                for (int x = 0; x < 40; x++) {
                    tile.setRGB(x, y, c);
                }
            }
            return tile;
        }).toList();
        Path png = dir.resolve("strip.png");

        Figures.writeOverlayStrip(png, tiles, List.of("a", "b", "c", "d", "a caption far too long to fit under a tile"));

        BufferedImage read = ImageIO.read(png.toFile());
        assertThat(read.getWidth()).as("four tiles wide").isBetween(4 * 40, 5 * 40 + 4 * 8 - 1);
        assertThat(read.getHeight()).isGreaterThan(2 * 30 + 2 * 10);
        for (int colour : colours) {
            assertThat(count(read, colour)).as("tile %06x", colour).isEqualTo(40 * 30);
        }
        // the fifth tile starts a second row, in the first column
        int firstTileX = -1;
        int fifthTileX = -1;
        int firstTileY = -1;
        int fifthTileY = -1;
        for (int y = 0; y < read.getHeight(); y++) {
            for (int x = 0; x < read.getWidth(); x++) {
                if (rgb(read, x, y) == colours[0] && firstTileX < 0) {
                    firstTileX = x;
                    firstTileY = y;
                }
                if (rgb(read, x, y) == colours[4] && fifthTileX < 0) {
                    fifthTileX = x;
                    fifthTileY = y;
                }
            }
        }
        assertThat(fifthTileX).isEqualTo(firstTileX);
        assertThat(fifthTileY).isGreaterThan(firstTileY + 30);
        // caption text sits right under the first tile
        boolean dark = false;
        for (int y = firstTileY + 30; y < fifthTileY; y++) {
            for (int x = firstTileX; x < firstTileX + 40; x++) {
                dark |= (rgb(read, x, y) & 0xff) < 128;
            }
        }
        assertThat(dark).as("caption drawn").isTrue();
    }
}
