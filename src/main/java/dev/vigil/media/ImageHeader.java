package dev.vigil.media;

import java.nio.charset.StandardCharsets;

/**
 * An image's format and size as its header declares them, read without decoding: PNG's IHDR chunk, or JPEG's first
 * frame header (SOFn). Decoders allocate from these numbers before they read a pixel, and a small file can declare an
 * enormous image (a 2 MB PNG of zeros declares 26000 x 26000 pixels, 2 GB of RGB), so they are checked against a
 * limit ({@link #requireAtMost}) before any decoder sees the bytes.
 *
 * <p>Only PNG and JPEG are read; any other format is refused, so no other ImageIO plug-in parses untrusted bytes. The
 * walk over chunks and markers never reads past the array: every length it follows is checked against the bytes left
 * first. Every refusal is a {@link MediaException} naming what was wrong and where.
 *
 * @param width  in pixels, at least 1
 * @param height in pixels, at least 1
 */
public record ImageHeader(Format format, int width, int height) {
    /** The formats frames and stills come in. */
    public enum Format {
        PNG, JPEG
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int IHDR = chunkType("IHDR");
    private static final int PLTE = chunkType("PLTE");
    private static final int TRNS = chunkType("tRNS");
    private static final int IDAT = chunkType("IDAT");
    private static final int IEND = chunkType("IEND");

    private static final int SOI = 0xd8;
    private static final int EOI = 0xd9;
    private static final int SOS = 0xda;
    private static final int JPEG_LS = 0xf7;

    /** Pixels declared, {@code width * height}. */
    public long pixels() {
        return (long) width * height;
    }

    /**
     * Reads the header of a PNG or JPEG.
     *
     * @param what how refusals name the bytes, e.g. {@code "frame"}: "PNG frame of 1234 bytes ends inside ..."
     * @throws MediaException when the bytes are neither a PNG nor a JPEG, or their header is damaged or truncated
     */
    public static ImageHeader read(byte[] bytes, String what) throws MediaException {
        if (startsWith(bytes, PNG_SIGNATURE)) {
            return png(bytes, "PNG " + what + " of " + bytes.length + " bytes");
        }
        if (bytes.length >= 2 && u8(bytes, 0) == 0xff && u8(bytes, 1) == SOI) {
            return jpeg(bytes, "JPEG " + what + " of " + bytes.length + " bytes");
        }
        throw new MediaException(what + " of " + bytes.length + " bytes is neither a JPEG nor a PNG image"
                + otherFormat(bytes));
    }

    /**
     * This header, or a refusal when it declares more than {@code maxPixels}.
     *
     * @param what  as in {@link #read}
     * @param limit the setting or constant the limit comes from, named in the refusal
     */
    public ImageHeader requireAtMost(long maxPixels, String what, String limit) throws MediaException {
        if (pixels() > maxPixels) {
            throw new MediaException(format + " " + what + " declares " + width + "x" + height + " = " + pixels()
                    + " pixels, above the limit of " + maxPixels + " (" + limit + ")");
        }
        return this;
    }

    /**
     * The PNG with only the chunks that define its pixels: IHDR, PLTE, tRNS, IDAT and IEND (the same array when that
     * is all it holds). ImageIO's reader inflates compressed text (zTXt, iTXt) without a bound whenever it reads
     * metadata (400 KB of such chunks cost 1.2 GB on JDK 17), and some JDK builds read a palette image's metadata even
     * when told not to. The pixels are the same: the decode itself ignores the other chunks. Call after {@link #read}
     * accepted the bytes.
     */
    static byte[] pngPixelChunks(byte[] png) throws MediaException {
        int kept = PNG_SIGNATURE.length;
        boolean all = true;
        int p = PNG_SIGNATURE.length;
        int type;
        do {
            int next = nextChunk(png, p, "PNG image");
            type = int32(png, p + 4);
            if (isPixelChunk(type)) {
                kept += next - p;
            } else {
                all = false;
            }
            p = next;
        } while (type != IEND);
        if (all && p == png.length) {
            return png;
        }
        byte[] out = new byte[kept];
        System.arraycopy(png, 0, out, 0, PNG_SIGNATURE.length);
        int o = PNG_SIGNATURE.length;
        p = PNG_SIGNATURE.length;
        do {
            int next = nextChunk(png, p, "PNG image");
            type = int32(png, p + 4);
            if (isPixelChunk(type)) {
                System.arraycopy(png, p, out, o, next - p);
                o += next - p;
            }
            p = next;
        } while (type != IEND);
        return out;
    }

    private static boolean isPixelChunk(int type) {
        return type == IHDR || type == PLTE || type == TRNS || type == IDAT || type == IEND;
    }

    /** Signature, IHDR (13 bytes, first), then chunks up to IEND with at least one IDAT and no second IHDR. */
    private static ImageHeader png(byte[] b, String subject) throws MediaException {
        int p = PNG_SIGNATURE.length;
        if (b.length - p < 8 || int32(b, p + 4) != IHDR) {
            throw new MediaException(subject + " does not start with an IHDR chunk");
        }
        long length = uint32(b, p);
        if (length != 13) {
            throw new MediaException(subject + " has an IHDR chunk of " + length + " bytes, not 13");
        }
        if (b.length - p < 8 + 13 + 4) {
            throw new MediaException(subject + " ends inside its IHDR chunk");
        }
        long width = uint32(b, p + 8);
        long height = uint32(b, p + 12);
        int depth = u8(b, p + 16);
        int colour = u8(b, p + 17);
        if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            throw new MediaException(subject + " declares a size of " + width + "x" + height);
        }
        if (!validPngDepth(colour, depth)) {
            throw new MediaException(subject + " declares colour type " + colour + " at bit depth " + depth
                    + ", which PNG does not define");
        }
        if (u8(b, p + 18) != 0 || u8(b, p + 19) != 0 || u8(b, p + 20) > 1) {
            throw new MediaException(subject + " declares compression method " + u8(b, p + 18) + ", filter method "
                    + u8(b, p + 19) + " and interlace method " + u8(b, p + 20) + " (PNG defines 0, 0 and 0 or 1)");
        }
        p = nextChunk(b, p, subject);
        boolean data = false;
        while (true) {
            int type = b.length - p >= 8 ? int32(b, p + 4) : 0;
            int next = nextChunk(b, p, subject);
            if (type == IEND) {
                break;
            }
            if (type == IHDR) {
                // ImageIO's palette path would take its size, which was never checked
                throw new MediaException(subject + " has a second IHDR chunk at byte " + p);
            }
            data |= type == IDAT;
            p = next;
        }
        if (!data) {
            throw new MediaException(subject + " has no IDAT chunk");
        }
        return new ImageHeader(Format.PNG, (int) width, (int) height);
    }

    /** The offset after the chunk at {@code p}, once its header, data and CRC are known to lie within the bytes. */
    private static int nextChunk(byte[] b, int p, String subject) throws MediaException {
        if (b.length - p < 12) {
            throw new MediaException(subject + " ends at byte " + p + " without its IEND chunk");
        }
        for (int i = 4; i < 8; i++) {
            int c = u8(b, p + i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                throw new MediaException(subject + " has no chunk type at byte " + (p + 4) + " (not four letters)");
            }
        }
        long length = uint32(b, p);
        if (length > b.length - p - 12L) {
            throw new MediaException(subject + ": its " + new String(b, p + 4, 4, StandardCharsets.US_ASCII)
                    + " chunk at byte " + p + " declares " + length + " bytes, past the end of the data");
        }
        return p + 12 + (int) length;
    }

    private static boolean validPngDepth(int colour, int depth) {
        return switch (colour) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
    }

    /**
     * Markers from SOI to the first frame header (SOF0-3, 5-7, 9-11, 13-15), each segment skipped by its length. Scan
     * data (SOS) or the end (EOI) before a frame header is a refusal, as is a frame header whose height is left to a
     * later DNL marker (0).
     */
    private static ImageHeader jpeg(byte[] b, String subject) throws MediaException {
        int p = 2;
        while (true) {
            if (p >= b.length) {
                throw new MediaException(subject + " ends before its frame header (SOF marker)");
            }
            if (u8(b, p) != 0xff) {
                throw new MediaException(subject + " has no marker at byte " + p + " (0x"
                        + Integer.toHexString(u8(b, p)) + " where 0xff was due)");
            }
            // any number of 0xff fill bytes may come before a marker's code
            while (p < b.length && u8(b, p) == 0xff) {
                p++;
            }
            if (p >= b.length) {
                throw new MediaException(subject + " ends before its frame header (SOF marker)");
            }
            int at = p - 1;
            int marker = u8(b, p++);
            if (marker == EOI) {
                throw new MediaException(subject + " ends (EOI) before any frame header (SOF marker)");
            }
            if (marker == SOS) {
                throw new MediaException(subject + " starts its scan (SOS) before any frame header (SOF marker)");
            }
            if (marker == 0x01 || marker >= 0xd0 && marker <= 0xd7) {
                continue;  // TEM and RSTn stand alone, with no length
            }
            if (marker < 0xc0 || marker == SOI) {
                throw new MediaException(subject + " has an invalid marker " + markerName(marker) + " at byte " + at);
            }
            if (marker == JPEG_LS) {
                // FFmpeg decodes JPEG-LS frame headers, which this walk does not read: refused rather than unchecked
                throw new MediaException(subject + " is a JPEG-LS image (marker 0xfff7), which frames cannot be");
            }
            if (b.length - p < 2) {
                throw new MediaException(subject + " ends inside the length of its marker " + markerName(marker)
                        + " at byte " + at);
            }
            int length = u16(b, p);
            if (length < 2) {
                throw new MediaException(subject + ": its marker " + markerName(marker) + " at byte " + at
                        + " declares a length of " + length + ", less than the length field itself");
            }
            if (length > b.length - p) {
                throw new MediaException(subject + ": its marker " + markerName(marker) + " at byte " + at
                        + " declares " + length + " bytes, past the end of the data");
            }
            if (isSof(marker)) {
                return sof(b, p, length, subject + ": its frame header " + markerName(marker) + " at byte " + at);
            }
            p += length;
        }
    }

    /** A frame header's segment: length (2), precision (1), height (2), width (2), components (1), 3 per component. */
    private static ImageHeader sof(byte[] b, int p, int length, String subject) throws MediaException {
        int components = length >= 8 ? u8(b, p + 7) : 0;
        if (length < 8 || components == 0 || length != 8 + 3 * components) {
            throw new MediaException(subject + " has " + length + " bytes for " + components + " components (8 + 3 "
                    + "per component, at least one)");
        }
        int height = u16(b, p + 3);
        int width = u16(b, p + 5);
        if (width == 0 || height == 0) {
            // a height of 0 leaves it to a DNL marker after the first scan, which no camera writes
            throw new MediaException(subject + " declares a size of " + width + "x" + height);
        }
        return new ImageHeader(Format.JPEG, width, height);
    }

    private static boolean isSof(int marker) {
        // 0xc4 (DHT), 0xc8 (JPG) and 0xcc (DAC) fall in the range but are not frame headers
        return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    }

    private static String markerName(int marker) {
        String hex = String.format("0xff%02x", marker);
        String name;
        if (isSof(marker)) {
            name = "SOF" + (marker - 0xc0);
        } else if (marker >= 0xe0 && marker <= 0xef) {
            name = "APP" + (marker - 0xe0);
        } else {
            name = switch (marker) {
                case 0xc4 -> "DHT";
                case 0xdb -> "DQT";
                case 0xdd -> "DRI";
                case 0xfe -> "COM";
                default -> null;
            };
        }
        return name == null ? hex : hex + " (" + name + ")";
    }

    /** For the refusal of a format that is not PNG or JPEG: which it looks like, so the reason is plain. */
    private static String otherFormat(byte[] b) {
        if (startsWith(b, "GIF8".getBytes(StandardCharsets.US_ASCII))) {
            return " (it looks like a GIF)";
        }
        if (startsWith(b, "BM".getBytes(StandardCharsets.US_ASCII))) {
            return " (it looks like a BMP)";
        }
        if (startsWith(b, new byte[]{'I', 'I', 42, 0}) || startsWith(b, new byte[]{'M', 'M', 0, 42})) {
            return " (it looks like a TIFF)";
        }
        if (b.length >= 12 && startsWith(b, "RIFF".getBytes(StandardCharsets.US_ASCII))
                && new String(b, 8, 4, StandardCharsets.US_ASCII).equals("WEBP")) {
            return " (it looks like a WebP)";
        }
        return "";
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int chunkType(String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        return int32(b, 0);
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    private static int u16(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    private static int int32(byte[] b, int i) {
        return (u8(b, i) << 24) | (u8(b, i + 1) << 16) | (u8(b, i + 2) << 8) | u8(b, i + 3);
    }

    private static long uint32(byte[] b, int i) {
        return int32(b, i) & 0xffffffffL;
    }
}
