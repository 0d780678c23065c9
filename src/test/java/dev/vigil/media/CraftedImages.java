package dev.vigil.media;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** PNG and JPEG bytes built or patched by hand, for the header checks: bombs, damaged headers, hidden markers. */
public final class CraftedImages {
    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private CraftedImages() {
    }

    /** One chunk: length, type, data, and the CRC-32 of type and data. */
    static byte[] chunk(String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 12);
        writeInt(out, data.length);
        out.writeBytes(name);
        out.writeBytes(data);
        writeInt(out, (int) crc.getValue());
        return out.toByteArray();
    }

    static byte[] ihdr(long width, long height, int depth, int colour) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        writeInt(data, (int) width);
        writeInt(data, (int) height);
        data.write(depth);
        data.write(colour);
        data.write(0);  // compression: deflate
        data.write(0);  // filter method 0
        data.write(0);  // not interlaced
        return chunk("IHDR", data.toByteArray());
    }

    /** The signature and the given chunks. */
    static byte[] png(byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    static byte[] iend() {
        return chunk("IEND", new byte[0]);
    }

    /**
     * A complete, valid 8-bit RGB PNG of {@code width x height} black pixels: a decompression bomb, as its rows of
     * zeros deflate about 1000 to 1 (26000 x 26000: 2 GB of rows in 2 MB).
     */
    public static byte[] blackPng(int width, int height) {
        return blackPng(width, height, 16 << 20);
    }

    /** As {@link #blackPng(int, int)}, its rows deflated in blocks of {@code block} bytes. */
    static byte[] blackPng(int width, int height, int block) {
        long rows = height * (1 + 3L * width);  // a filter byte (0: none), then RGB
        return png(ihdr(width, height, 8, 2), chunk("IDAT", zlibZeros(rows, block)), iend());
    }

    /**
     * A zlib stream of {@code n} zero bytes, built without deflating them all: after a full flush the deflater forgets
     * its history, so every block of zeros compresses to the same bytes, and the block is repeated.
     */
    static byte[] zlibZeros(long n, int block) {
        byte[] zeros = new byte[block];
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] first = deflate(deflater, zeros, block, Deflater.FULL_FLUSH);
        byte[] second = deflate(deflater, zeros, block, Deflater.FULL_FLUSH);
        if (!Arrays.equals(first, second)) {
            throw new IllegalStateException("this zlib compresses a block of zeros differently after a full flush");
        }
        deflater.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x78);  // deflate with a 32 KiB window
        out.write(0xda);  // best compression; (0x78 * 256 + 0xda) % 31 == 0
        for (long i = 0; i < n / block; i++) {
            out.writeBytes(first);
        }
        Deflater last = new Deflater(Deflater.BEST_COMPRESSION, true);
        out.writeBytes(deflate(last, zeros, (int) (n % block), -1));
        last.end();
        writeInt(out, (int) ((n % 65521) << 16 | 1));  // Adler-32 of n zeros: a = 1, b = n mod 65521
        return out.toByteArray();
    }

    /** {@code length} bytes of {@code in} through the deflater with the given flush, or to the end with -1. */
    private static byte[] deflate(Deflater d, byte[] in, int length, int flush) {
        d.setInput(in, 0, length);
        if (flush < 0) {
            d.finish();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        while (true) {
            int n = d.deflate(buffer, 0, buffer.length, flush < 0 ? Deflater.NO_FLUSH : flush);
            out.write(buffer, 0, n);
            if (flush < 0 ? d.finished() : d.needsInput() && n < buffer.length) {
                return out.toByteArray();
            }
        }
    }

    /** {@code bytes} with {@code inserted} placed at {@code at}. */
    static byte[] insert(byte[] bytes, int at, byte[] inserted) {
        byte[] out = new byte[bytes.length + inserted.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(bytes, at, out, at + inserted.length, bytes.length - at);
        return out;
    }

    static byte[] jpeg(RgbImage image, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(ImageFiles.toBufferedImage(image), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The offset of the JPEG's first frame header marker (0xff, then SOFn), walking segments by their lengths. */
    static int sofOffset(byte[] jpeg) {
        int p = 2;
        while (true) {
            int marker = jpeg[p + 1] & 0xff;
            if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
                return p;
            }
            p += 2 + ((jpeg[p + 2] & 0xff) << 8 | (jpeg[p + 3] & 0xff));
        }
    }

    /** A copy of the JPEG whose frame header declares {@code width x height}. */
    public static byte[] withSize(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        int sof = sofOffset(out);
        out[sof + 5] = (byte) (height >> 8);
        out[sof + 6] = (byte) height;
        out[sof + 7] = (byte) (width >> 8);
        out[sof + 8] = (byte) width;
        return out;
    }

    /** A segment: 0xff, the marker, a length counting itself, the data. */
    static byte[] segment(int marker, byte[] data) {
        byte[] out = new byte[4 + data.length];
        out[0] = (byte) 0xff;
        out[1] = (byte) marker;
        out[2] = (byte) ((data.length + 2) >> 8);
        out[3] = (byte) (data.length + 2);
        System.arraycopy(data, 0, out, 4, data.length);
        return out;
    }

    /** A baseline frame header (SOF0 marker included) of three components declaring {@code width x height}. */
    static byte[] sof0(int width, int height) {
        return segment(0xc0, new byte[]{8, (byte) (height >> 8), (byte) height, (byte) (width >> 8), (byte) width,
                3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1});
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(image, format, stream)) {
                throw new IllegalStateException("no " + format + " writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
