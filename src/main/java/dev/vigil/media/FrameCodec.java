package dev.vigil.media;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

/**
 * How frames travel as bytes: {@code jpeg:Q} (quality 1-100; compact, lossy) or {@code png} (lossless, so a frame
 * scored from Kafka has exactly the pixels an offline evaluation sees).
 *
 * @param format  "jpeg" or "png"
 * @param quality JPEG quality 1..100 (ignored for PNG)
 */
public record FrameCodec(String format, int quality) {
    public static final FrameCodec DEFAULT = new FrameCodec("jpeg", 90);
    /** What {@link #parseOrNone} reads as no codec: the decoded pixels as they are. */
    public static final String NONE = "none";

    /** A codec frames can travel in: {@code jpeg:Q}, {@code jpeg} (quality 90) or {@code png}. */
    public static FrameCodec parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals(NONE)) {
            // only an offline evaluation can skip the codec; a frame on Kafka is always encoded
            throw new IllegalArgumentException("frame codec 'none' applies to eval only: frames travel through Kafka "
                    + "as jpeg:Q (Q in 1..100) or png");
        }
        if (s.equals("png")) {
            return new FrameCodec("png", 0);
        }
        if (s.equals("jpeg") || s.equals("jpg")) {
            return DEFAULT;
        }
        if (s.startsWith("jpeg:") || s.startsWith("jpg:")) {
            try {
                int q = Integer.parseInt(s.substring(s.indexOf(':') + 1));
                if (q >= 1 && q <= 100) {
                    return new FrameCodec("jpeg", q);
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new IllegalArgumentException("frame codec must be jpeg:Q (Q in 1..100) or png, got '" + spec + "'");
    }

    /**
     * {@link #parse} or, for {@code none}, no codec: where frames are read from files rather than from Kafka and the
     * codec's loss is to be skipped.
     */
    public static Optional<FrameCodec> parseOrNone(String spec) {
        if (spec.trim().equalsIgnoreCase(NONE)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(spec));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("frame codec must be jpeg:Q (Q in 1..100), png or none, got '" + spec
                    + "'", e);
        }
    }

    /**
     * The image as a consumer of the frames topic gets it from a producer that used this codec:
     * {@code decode(encode(image))}.
     */
    public RgbImage roundTrip(RgbImage image) throws IOException {
        return decode(encode(image));
    }

    /** {@link #roundTrip(RgbImage)} with a codec that may be null (none: the image itself). */
    public static RgbImage roundTrip(FrameCodec codecOrNull, RgbImage image) {
        if (codecOrNull == null) {
            return image;
        }
        try {
            return codecOrNull.roundTrip(image);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("frame codec " + codecOrNull + " could not encode and decode a frame: "
                    + e.getMessage(), e);
        }
    }

    /** Frames through {@link #roundTrip(FrameCodec, RgbImage)}, lazily: training sees what scoring will see. */
    public static java.util.Iterator<RgbImage> roundTrip(FrameCodec codecOrNull, java.util.Iterator<RgbImage> images) {
        if (codecOrNull == null) {
            return images;
        }
        return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
                return images.hasNext();
            }

            @Override
            public RgbImage next() {
                return roundTrip(codecOrNull, images.next());
            }
        };
    }

    public byte[] encode(RgbImage image) throws IOException {
        BufferedImage img = ImageFiles.toBufferedImage(image);
        ByteArrayOutputStream out = new ByteArrayOutputStream(image.width() * image.height() / 2);
        if (format.equals("png")) {
            writePng(img, out);
            return out.toByteArray();
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality / 100f);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * Most pixels a frame may declare unless the service is given another limit: 4K UHD, 3840 x 2160, above any camera
     * stream Vigil scores. A frame within it costs a bounded amount of memory to decode: about 15 bytes a pixel at
     * most, 125 MB (a 16-bit RGBA PNG: ImageIO's raster of 8 bytes a pixel, then its conversion to RGB), 6 to 9 for a
     * JPEG or an 8-bit PNG.
     */
    public static final long DEFAULT_MAX_PIXELS = 3840L * 2160;

    /**
     * Decodes a frame of either format, as {@link #decode(byte[], int, int, long)} but of any size up to
     * {@link #DEFAULT_MAX_PIXELS}: an undecodable or larger one throws, naming why.
     */
    public static RgbImage decode(byte[] bytes) throws IOException {
        return decode(bytes, ImageHeader.read(bytes, "frame")
                .requireAtMost(DEFAULT_MAX_PIXELS, "frame", "max-frame-pixels"));
    }

    /**
     * Decodes a frame that should be {@code expectedWidth x expectedHeight} (what its record says). The size its own
     * header declares (PNG's IHDR, JPEG's SOF) is read first, without decoding: a frame that declares more than
     * {@code maxPixels} pixels, or another size than expected, is refused before a decoder allocates for it. Only PNG
     * and JPEG are frames; anything else, damaged or truncated is refused too. The bytes themselves are bounded
     * already, by the topic's largest record (8 MiB). JPEG goes through FFmpeg ({@link JpegDecoder}), which also
     * refuses a truncated file that ImageIO would return half grey.
     *
     * @throws MediaException naming why the frame was refused
     */
    public static RgbImage decode(byte[] bytes, int expectedWidth, int expectedHeight, long maxPixels)
            throws IOException {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("the most pixels a frame may have must be at least 1, got " + maxPixels);
        }
        ImageHeader header = ImageHeader.read(bytes, "frame").requireAtMost(maxPixels, "frame", "max-frame-pixels");
        if (header.width() != expectedWidth || header.height() != expectedHeight) {
            throw new MediaException(header.format() + " frame declares " + header.width() + "x" + header.height()
                    + " but its record says " + expectedWidth + "x" + expectedHeight);
        }
        return decode(bytes, header);
    }

    private static RgbImage decode(byte[] bytes, ImageHeader header) throws MediaException {
        if (header.format() == ImageHeader.Format.JPEG) {
            return JpegDecoder.decode(bytes, header);
        }
        return ImageFiles.fromBufferedImage(readImage(bytes, header, "frame"));
    }

    /**
     * Decodes PNG or JPEG bytes in memory with ImageIO, declaring at most {@link #DEFAULT_MAX_PIXELS}; anything else
     * is refused. ImageIO's plain {@code read(InputStream)} buffers the stream through a temporary file by default: a
     * frame decoded that way costs a file's creation and I/O (PNG 2.3 ms against 1.2 ms in memory, JPEG 0.82 against
     * 0.68 at 224x224).
     */
    public static BufferedImage readImage(byte[] bytes) throws IOException {
        return readImage(bytes, ImageHeader.read(bytes, "image")
                .requireAtMost(DEFAULT_MAX_PIXELS, "image", "FrameCodec.DEFAULT_MAX_PIXELS"), "image");
    }

    /**
     * ImageIO's decode of bytes whose header {@link ImageHeader#read} read and the caller checked. The reader is the
     * header's format's own (no other plug-in probes the bytes), and a PNG reaches it with only its pixel chunks
     * ({@link ImageHeader#pngPixelChunks}).
     */
    static BufferedImage readImage(byte[] bytes, ImageHeader header, String what) throws MediaException {
        byte[] data = header.format() == ImageHeader.Format.PNG ? ImageHeader.pngPixelChunks(bytes) : bytes;
        java.util.Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(
                header.format() == ImageHeader.Format.PNG ? "png" : "jpeg");
        if (!readers.hasNext()) {
            throw new MediaException("no " + header.format() + " reader available");
        }
        ImageReader reader = readers.next();
        BufferedImage image;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            image = reader.read(0);
        } catch (IOException | RuntimeException e) {
            // ImageIO throws IIOException, and for some damaged files runtime exceptions, without saying what it read
            throw new MediaException("damaged " + header.format() + " " + what + " of " + bytes.length + " bytes: "
                    + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
        if (image.getWidth() != header.width() || image.getHeight() != header.height()) {
            throw new MediaException(header.format() + " " + what + " decodes to " + image.getWidth() + "x"
                    + image.getHeight() + ", not the " + header.width() + "x" + header.height()
                    + " its header declares");
        }
        return image;
    }

    /** Encodes a PNG in memory (see {@link #readImage}: no temporary file). */
    public static void writePng(BufferedImage image, java.io.OutputStream out) throws IOException {
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(image, "png", stream)) {
                throw new MediaException("no PNG writer available");
            }
        }
    }

    @Override
    public String toString() {
        return format.equals("png") ? "png" : "jpeg:" + quality;
    }
}
