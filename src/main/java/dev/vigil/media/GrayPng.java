package dev.vigil.media;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes 8-bit greyscale PNGs directly (signature, IHDR, one IDAT, IEND). The anomaly-map encoder runs on the stream
 * thread for every scored frame, and ImageIO's writer spends most of its time on per-image set-up (writer lookup,
 * metadata, adaptive filter trials) for a few kilobytes of pixels; this is the same file format without that.
 * Every row uses the "Up" filter: maps are smooth vertically, so the differences deflate well.
 */
public final class GrayPng {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int FILTER_UP = 2;

    private GrayPng() {
    }

    /** @param pixels {@code [height * width]} grey levels, row-major */
    public static byte[] encode(byte[] pixels, int width, int height) {
        if (width <= 0 || height <= 0 || pixels.length != width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " grey image needs " + width * height
                    + " pixels, got " + pixels.length);
        }
        byte[] filtered = new byte[height * (width + 1)];
        for (int y = 0, o = 0; y < height; y++) {
            filtered[o++] = FILTER_UP;
            int row = y * width;
            for (int x = 0; x < width; x++) {
                int above = y == 0 ? 0 : pixels[row - width + x];
                filtered[o++] = (byte) (pixels[row + x] - above);
            }
        }
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        byte[] compressed;
        try {
            deflater.setInput(filtered);
            deflater.finish();
            ByteArrayOutputStream z = new ByteArrayOutputStream(filtered.length / 2 + 64);
            byte[] buf = new byte[Math.max(256, filtered.length)];
            while (!deflater.finished()) {
                z.write(buf, 0, deflater.deflate(buf));
            }
            compressed = z.toByteArray();
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(compressed.length + 64);
        out.writeBytes(SIGNATURE);
        byte[] header = new byte[13];
        putInt(header, 0, width);
        putInt(header, 4, height);
        header[8] = 8;  // bit depth
        header[9] = 0;  // colour type: greyscale
        // compression 0 (deflate), filter method 0, no interlace: the zeros already there
        chunk(out, "IHDR", header);
        chunk(out, "IDAT", compressed);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        byte[] length = new byte[4];
        putInt(length, 0, data.length);
        out.writeBytes(length);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        byte[] sum = new byte[4];
        putInt(sum, 0, (int) crc.getValue());
        out.writeBytes(sum);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
