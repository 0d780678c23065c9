package dev.vigil.media;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.color.ColorSpace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads and writes still images (PNG, JPEG) as {@link RgbImage}s, and ground-truth masks as
 * {@code boolean[height * width]}.
 *
 * <p>Colour conversion follows Pillow's {@code convert("RGB")}: gray is replicated into R, G and B without gamma
 * correction, palettes are looked up, alpha is dropped (not composited), embedded colour profiles are ignored.
 * Java2D's own {@code getRGB} is avoided for gray images because it treats 8-bit gray as linear and brightens it.
 */
public final class ImageFiles {
    /**
     * Most pixels an image file may declare: 8192 x 8192 (67 megapixels), beyond any dataset or still Vigil reads. A
     * file is refused before decoding when its header declares more.
     */
    public static final long MAX_PIXELS = 8192L * 8192;
    /**
     * Largest image file read (files are read whole, then decoded in memory): 256 MiB, more than an 8-bit RGB image of
     * {@link #MAX_PIXELS} stored without compression (192 MiB).
     */
    private static final int MAX_FILE_BYTES = 256 << 20;

    private ImageFiles() {
    }

    /**
     * Decodes a PNG or JPEG into {@code [height][width][3]} RGB; any other format, a damaged file, or one declaring
     * more than {@link #MAX_PIXELS} is refused with a {@link MediaException} naming the path.
     */
    public static RgbImage read(Path png) throws IOException {
        return fromBufferedImage(decode(png));
    }

    /**
     * Reads a ground-truth mask: a pixel whose gray level (ITU-R 601 luma) is above 127 is anomalous. When the file
     * is not {@code width x height}, it is resized by nearest neighbour with half-pixel centres.
     *
     * @return {@code [height * width]}, row-major
     */
    public static boolean[] readMask(Path png, int width, int height) throws IOException {
        RgbImage img = read(png);
        byte[] p = img.pixels();
        boolean[] mask = new boolean[img.width() * img.height()];
        for (int i = 0; i < mask.length; i++) {
            // Pillow's convert("L") weights, in integers
            int luma = ((p[3 * i] & 0xff) * 299 + (p[3 * i + 1] & 0xff) * 587 + (p[3 * i + 2] & 0xff) * 114) / 1000;
            mask[i] = luma > 127;
        }
        return ImageResize.nearest(mask, img.width(), img.height(), width, height);
    }

    /** Writes {@code image} as a PNG, replacing any existing file; owner-only (0600), as a picture of footage. */
    public static void write(Path png, RgbImage image) throws IOException {
        try (java.io.OutputStream out = dev.vigil.files.PrivateFiles.newOutputStream(png)) {
            if (!ImageIO.write(toBufferedImage(image), "png", out)) {
                throw new MediaException("cannot write " + png + ": no PNG writer available");
            }
        }
    }

    /** A copy of {@code image} as a {@link BufferedImage#TYPE_3BYTE_BGR}, the type ImageIO writes without conversion. */
    public static BufferedImage toBufferedImage(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        byte[] src = image.pixels();
        for (int i = 0; i < src.length; i += 3) {
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
        }
        return out;
    }

    /**
     * Copies any {@link BufferedImage} into RGB. Interleaved 8-bit and packed-int rasters are read straight from
     * their data buffer; gray and palette images through their samples; anything else through bulk {@code getRGB}.
     */
    public static RgbImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        byte[] out = new byte[w * h * 3];
        if (cm instanceof IndexColorModel icm) {
            // palettes, and 1/2/4-bit gray, which ImageIO decodes as a linear gray palette
            int[] idx = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < idx.length; i++) {
                out[3 * i] = (byte) icm.getRed(idx[i]);
                out[3 * i + 1] = (byte) icm.getGreen(idx[i]);
                out[3 * i + 2] = (byte) icm.getBlue(idx[i]);
            }
        } else if (cm instanceof ComponentColorModel && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // gray or gray+alpha: band 0, scaled from its bit depth to 8 bits without gamma
            int bits = cm.getComponentSize(0);
            long max = (1L << bits) - 1;
            int[] v = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < v.length; i++) {
                byte g = (byte) (bits == 8 ? v[i] : ((v[i] & max) * 255 + max / 2) / max);
                out[3 * i] = g;
                out[3 * i + 1] = g;
                out[3 * i + 2] = g;
            }
        } else if (!copyInterleavedBytes(raster, cm, w, h, out) && !copyPackedInts(raster, cm, w, h, out)) {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                out[3 * i] = (byte) (argb[i] >> 16);
                out[3 * i + 1] = (byte) (argb[i] >> 8);
                out[3 * i + 2] = (byte) argb[i];
            }
        }
        return new RgbImage(w, h, out);
    }

    /** The fast path for BGR, ABGR, RGB and RGBA byte rasters (what ImageIO gives for PNG and JPEG). */
    private static boolean copyInterleavedBytes(Raster raster, ColorModel cm, int w, int h, byte[] out) {
        if (!(cm instanceof ComponentColorModel) || cm.getColorSpace().getType() != ColorSpace.TYPE_RGB
                || !(raster.getDataBuffer() instanceof DataBufferByte buffer)
                || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || cm.getComponentSize(0) != 8 || cm.getComponentSize(1) != 8 || cm.getComponentSize(2) != 8) {
            return false;
        }
        byte[] data = buffer.getData();
        int[] band = sm.getBandOffsets();
        int pixelStride = sm.getPixelStride();
        int scanline = sm.getScanlineStride();
        int base = buffer.getOffset() - raster.getSampleModelTranslateY() * scanline
                - raster.getSampleModelTranslateX() * pixelStride;
        for (int y = 0, o = 0; y < h; y++) {
            for (int x = 0, s = base + y * scanline; x < w; x++, s += pixelStride) {
                out[o++] = data[s + band[0]];
                out[o++] = data[s + band[1]];
                out[o++] = data[s + band[2]];
            }
        }
        return true;
    }

    /** The fast path for TYPE_INT_RGB / TYPE_INT_ARGB style rasters. */
    private static boolean copyPackedInts(Raster raster, ColorModel cm, int w, int h, byte[] out) {
        if (!(cm instanceof DirectColorModel dcm) || dcm.isAlphaPremultiplied()
                || dcm.getRedMask() != 0xff0000 || dcm.getGreenMask() != 0xff00 || dcm.getBlueMask() != 0xff
                || !(raster.getDataBuffer() instanceof DataBufferInt buffer)
                || !(raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm)) {
            return false;
        }
        int[] data = buffer.getData();
        int scanline = sm.getScanlineStride();
        int base = buffer.getOffset() - raster.getSampleModelTranslateY() * scanline
                - raster.getSampleModelTranslateX();
        for (int y = 0, o = 0; y < h; y++) {
            for (int x = 0, s = base + y * scanline; x < w; x++, s++) {
                int v = data[s];
                out[o++] = (byte) (v >> 16);
                out[o++] = (byte) (v >> 8);
                out[o++] = (byte) v;
            }
        }
        return true;
    }

    private static BufferedImage decode(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new MediaException("cannot read image " + path + ": "
                    + (Files.exists(path) ? "not a regular file" : "file not found"));
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new MediaException("cannot read image " + path + ": " + e, e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new MediaException("cannot decode image " + path + ": it is larger than the " + MAX_FILE_BYTES
                    + " bytes an image file may have");
        }
        try {
            // the size the header declares is checked before ImageIO allocates for it
            ImageHeader header = ImageHeader.read(bytes, "file").requireAtMost(MAX_PIXELS, "file",
                    "ImageFiles.MAX_PIXELS");
            return FrameCodec.readImage(bytes, header, "file");
        } catch (MediaException e) {
            throw new MediaException("cannot decode image " + path + ": " + e.getMessage(), e);
        }
    }
}
