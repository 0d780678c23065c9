package dev.vigil.evaluation;

import dev.vigil.files.PrivateFiles;
import dev.vigil.media.RgbImage;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * PNG figures of an evaluation: ROC curves, anomaly-map overlays and strips of overlays with captions. Drawn with
 * Java2D on {@link BufferedImage}s only, so they work on a headless machine without any global setting.
 */
public final class Figures {

    /** Outline of the ground-truth mask in overlays: magenta never occurs in the jet colour map. */
    public static final Color MASK_CONTOUR = new Color(255, 0, 255);
    /** The ROC curve's colour. */
    public static final Color CURVE = new Color(31, 119, 180);

    /** Opacity of the heat map over the image. */
    private static final float HEAT_ALPHA = 0.5f;
    private static final int ROC_SIZE = 480;
    private static final int TILES_PER_ROW = 4;
    private static final int GAP = 8;

    private Figures() {
    }

    /**
     * Writes a 480x480 ROC plot: axes with ticks from 0 to 1, the chance diagonal, the curve, and its AUROC in the
     * legend.
     */
    public static void writeRocCurve(Path png, RocCurve roc, String title, double auroc) throws IOException {
        BufferedImage image = new BufferedImage(ROC_SIZE, ROC_SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, ROC_SIZE, ROC_SIZE);

            // square plot area, room on the left and below for tick labels and axis titles
            int left = 64;
            int top = 40;
            int side = 392;
            Plot plot = new Plot(left, top, side);
            Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
            Font label = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

            for (int t = 0; t <= 5; t++) {
                double v = t / 5.0;
                String text = String.format(Locale.ROOT, "%.1f", v);
                g.setColor(new Color(232, 232, 232));
                g.setStroke(new BasicStroke(1f));
                g.drawLine(plot.x(v), top, plot.x(v), top + side);
                g.drawLine(left, plot.y(v), left + side, plot.y(v));
                g.setColor(Color.DARK_GRAY);
                g.drawLine(plot.x(v), top + side, plot.x(v), top + side + 5);
                g.drawLine(left - 5, plot.y(v), left, plot.y(v));
                g.setFont(small);
                FontMetrics fm = g.getFontMetrics();
                g.drawString(text, plot.x(v) - fm.stringWidth(text) / 2, top + side + 8 + fm.getAscent());
                g.drawString(text, left - 8 - fm.stringWidth(text), plot.y(v) + fm.getAscent() / 2 - 1);
            }

            g.setColor(Color.GRAY);
            float[] dashes = {6f, 4f};
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dashes, 0f));
            g.drawLine(plot.x(0), plot.y(0), plot.x(1), plot.y(1));

            Path2D.Double curve = new Path2D.Double();
            for (int k = 0; k < roc.size(); k++) {
                double x = plot.xd(roc.fpr()[k]);
                double y = plot.yd(roc.tpr()[k]);
                if (k == 0) {
                    curve.moveTo(x, y);
                } else {
                    curve.lineTo(x, y);
                }
            }
            g.setColor(CURVE);
            g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(curve);

            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(left, top, side, side);

            g.setFont(label);
            FontMetrics fm = g.getFontMetrics();
            String xTitle = "False-positive rate";
            g.drawString(xTitle, left + (side - fm.stringWidth(xTitle)) / 2, ROC_SIZE - 10);
            String yTitle = "True-positive rate";
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yTitle, -(top + (side + fm.stringWidth(yTitle)) / 2), 18);
            g.setTransform(saved);

            g.setFont(label.deriveFont(Font.BOLD, 15f));
            fm = g.getFontMetrics();
            g.drawString(title, (ROC_SIZE - fm.stringWidth(title)) / 2, top - 14);

            // legend in the lower right, where a useful curve leaves space
            g.setFont(label);
            fm = g.getFontMetrics();
            String legend = String.format(Locale.ROOT, "ROC (AUROC = %.3f)", auroc);
            int boxWidth = 36 + fm.stringWidth(legend) + 10;
            int boxHeight = fm.getHeight() + 10;
            int boxX = left + side - boxWidth - 10;
            int boxY = top + side - boxHeight - 10;
            g.setColor(Color.WHITE);
            g.fillRect(boxX, boxY, boxWidth, boxHeight);
            g.setColor(Color.LIGHT_GRAY);
            g.drawRect(boxX, boxY, boxWidth, boxHeight);
            g.setColor(CURVE);
            g.setStroke(new BasicStroke(2.5f));
            int lineY = boxY + boxHeight / 2;
            g.drawLine(boxX + 8, lineY, boxX + 30, lineY);
            g.setColor(Color.BLACK);
            g.drawString(legend, boxX + 36, boxY + 5 + fm.getAscent());
        } finally {
            g.dispose();
        }
        writePng(png, image);
    }

    /**
     * The image with the anomaly map over it as a half-transparent jet heat map, and the ground-truth mask's outline
     * in {@link #MASK_CONTOUR}.
     *
     * @param image      the frame; resized (bilinear) to {@code mapWidth x mapHeight} when its size differs
     * @param map        {@code [mapHeight * mapWidth]} anomaly map, row-major
     * @param maskOrNull {@code [mapHeight * mapWidth]} ground truth, or null for no outline
     * @param vmin       map value drawn dark blue (and below)
     * @param vmax       map value drawn dark red (and above)
     * @return a {@code mapWidth x mapHeight} RGB image
     */
    public static BufferedImage overlay(RgbImage image, float[] map, int mapWidth, int mapHeight, boolean[] maskOrNull,
            float vmin, float vmax) {
        if (mapWidth <= 0 || mapHeight <= 0 || map.length != mapWidth * mapHeight) {
            throw new IllegalArgumentException("map has " + map.length + " values, expected " + mapWidth + "x"
                    + mapHeight);
        }
        if (maskOrNull != null && maskOrNull.length != map.length) {
            throw new IllegalArgumentException("mask has " + maskOrNull.length + " pixels, expected " + mapWidth + "x"
                    + mapHeight);
        }
        if (!(vmax > vmin)) {
            throw new IllegalArgumentException("vmax must exceed vmin, got " + vmin + ".." + vmax);
        }
        BufferedImage out = resized(toBufferedImage(image), mapWidth, mapHeight);
        for (int y = 0; y < mapHeight; y++) {
            for (int x = 0; x < mapWidth; x++) {
                float value = map[y * mapWidth + x];
                float v = Float.isNaN(value) ? 0f : Math.max(0f, Math.min(1f, (value - vmin) / (vmax - vmin)));
                int base = out.getRGB(x, y);
                int r = blend((base >> 16) & 0xff, jet(v, 3));
                int g = blend((base >> 8) & 0xff, jet(v, 2));
                int b = blend(base & 0xff, jet(v, 1));
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        if (maskOrNull != null) {
            int contour = MASK_CONTOUR.getRGB() & 0xffffff;
            for (int y = 0; y < mapHeight; y++) {
                for (int x = 0; x < mapWidth; x++) {
                    if (isContour(maskOrNull, mapWidth, mapHeight, x, y)) {
                        out.setRGB(x, y, contour);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Writes the tiles side by side, four to a row, each with its caption centred below it. Tiles may differ in
     * size: each sits centred in a cell as large as the largest.
     */
    public static void writeOverlayStrip(Path png, List<BufferedImage> tiles, List<String> captions)
            throws IOException {
        if (tiles.isEmpty() || tiles.size() != captions.size()) {
            throw new IllegalArgumentException("need one caption per tile and at least one tile, got " + tiles.size()
                    + " tiles and " + captions.size() + " captions");
        }
        int cellWidth = tiles.stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int cellHeight = tiles.stream().mapToInt(BufferedImage::getHeight).max().orElseThrow();
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        // font metrics need a graphics context; a 1x1 image gives one without a display
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D probeGraphics = probe.createGraphics();
        FontMetrics fm = probeGraphics.getFontMetrics(font);
        probeGraphics.dispose();
        int captionHeight = fm.getHeight() + 4;
        int columns = Math.min(TILES_PER_ROW, tiles.size());
        int rows = (tiles.size() + TILES_PER_ROW - 1) / TILES_PER_ROW;
        int width = columns * cellWidth + (columns + 1) * GAP;
        int height = rows * (cellHeight + captionHeight) + (rows + 1) * GAP;

        BufferedImage strip = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = strip.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(font);
            for (int k = 0; k < tiles.size(); k++) {
                BufferedImage tile = tiles.get(k);
                int cellX = GAP + (k % TILES_PER_ROW) * (cellWidth + GAP);
                int cellY = GAP + (k / TILES_PER_ROW) * (cellHeight + captionHeight + GAP);
                g.drawImage(tile, cellX + (cellWidth - tile.getWidth()) / 2,
                        cellY + (cellHeight - tile.getHeight()) / 2, null);
                String caption = fitted(captions.get(k), fm, cellWidth);
                g.setColor(Color.BLACK);
                g.drawString(caption, cellX + (cellWidth - fm.stringWidth(caption)) / 2,
                        cellY + cellHeight + 2 + fm.getAscent());
            }
        } finally {
            g.dispose();
        }
        writePng(png, strip);
    }

    /** Maps unit values to pixel coordinates of a square plot area, y upwards. */
    private record Plot(int left, int top, int side) {
        double xd(double v) {
            return left + v * side;
        }

        double yd(double v) {
            return top + (1 - v) * side;
        }

        int x(double v) {
            return (int) Math.round(xd(v));
        }

        int y(double v) {
            return (int) Math.round(yd(v));
        }
    }

    /** Jet colour map channel as 0..255: {@code phase} 3 = red, 2 = green, 1 = blue. */
    private static int jet(float v, int phase) {
        double c = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - phase)));
        return (int) Math.round(255 * c);
    }

    private static int blend(int under, int over) {
        return Math.round((1 - HEAT_ALPHA) * under + HEAT_ALPHA * over);
    }

    /** A mask pixel with a 4-neighbour outside the mask or at the frame's edge, so outlines stay closed. */
    private static boolean isContour(boolean[] mask, int width, int height, int x, int y) {
        if (!mask[y * width + x]) {
            return false;
        }
        return x == 0 || y == 0 || x == width - 1 || y == height - 1
                || !mask[y * width + x - 1] || !mask[y * width + x + 1]
                || !mask[(y - 1) * width + x] || !mask[(y + 1) * width + x];
    }

    private static BufferedImage toBufferedImage(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                out.setRGB(x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
            }
        }
        return out;
    }

    private static BufferedImage resized(BufferedImage image, int width, int height) {
        if (image.getWidth() == width && image.getHeight() == height) {
            return image;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** The caption, cut with an ellipsis when wider than the cell. */
    private static String fitted(String caption, FontMetrics fm, int width) {
        if (fm.stringWidth(caption) <= width) {
            return caption;
        }
        String cut = caption;
        while (!cut.isEmpty() && fm.stringWidth(cut + "…") > width) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "…";
    }

    /** Figures show the footage: owner-only (0600), in folders created 0700. */
    private static void writePng(Path png, BufferedImage image) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            PrivateFiles.createDirectories(parent);
        }
        try (java.io.OutputStream out = PrivateFiles.newOutputStream(png)) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer available for " + png);
            }
        }
    }
}
