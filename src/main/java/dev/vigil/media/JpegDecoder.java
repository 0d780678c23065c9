package dev.vigil.media;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.concurrent.ConcurrentLinkedQueue;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.ffmpeg.global.swscale.*;

/**
 * Decodes JPEG frames with FFmpeg's MJPEG decoder (SIMD IDCT) and swscale, straight into RGB: about three times
 * cheaper than ImageIO's decoder, which also copies each scanline into a raster that then has to be reordered. Every
 * JPEG frame a model learns or scores goes through here, so training, {@code eval --frame-codec} and the service see
 * the same pixels. Decoders are pooled: a decoder holds native state and is used by one thread at a time. The pool
 * holds as many as ever decoded at once (a few) and keeps them for the life of the process.
 */
final class JpegDecoder {
    // libavcodec's AV_EF_* flags (avcodec.h), which the JavaCPP presets leave out
    private static final int AV_EF_CRCCHECK = 1;
    private static final int AV_EF_BITSTREAM = 1 << 1;
    private static final int AV_EF_EXPLODE = 1 << 3;

    private static final ConcurrentLinkedQueue<JpegDecoder> POOL = new ConcurrentLinkedQueue<>();

    private final AVCodecContext context;
    private final AVPacket packet;
    private final AVFrame frame;
    private SwsContext sws;
    private BytePointer rgb;
    private final PointerPointer<BytePointer> planes = new PointerPointer<>(1);
    private final IntPointer strides = new IntPointer(1);

    private JpegDecoder() {
        AVCodec codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
        if (codec == null) {
            throw new IllegalStateException("FFmpeg was built without its MJPEG decoder");
        }
        context = avcodec_alloc_context3(codec);
        context.thread_count(1);
        // a damaged frame is an error (dead-lettered with its reason), not a frame with concealed grey blocks
        context.err_recognition(AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM);
        int r = avcodec_open2(context, codec, (AVDictionary) null);
        if (r < 0) {
            throw new IllegalStateException("cannot open FFmpeg's MJPEG decoder: " + VideoFrames.error(r));
        }
        packet = av_packet_alloc();
        frame = av_frame_alloc();
    }

    /**
     * Decodes one JPEG image whose frame header declared {@code header}'s size (checked by the caller); a damaged or
     * truncated one throws, naming FFmpeg's reason, and so does one that decodes to another size.
     */
    static RgbImage decode(byte[] jpeg, ImageHeader header) throws MediaException {
        JpegDecoder d = POOL.poll();
        if (d == null) {
            d = new JpegDecoder();
        }
        try {
            return d.decodeOne(jpeg, header);
        } finally {
            POOL.offer(d);
        }
    }

    private RgbImage decodeOne(byte[] jpeg, ImageHeader header) throws MediaException {
        // FFmpeg finds markers its own way: it looks inside segments it does not parse, which the header's walk skips
        // by their length, so it can meet a larger frame header than the one checked. With max_pixels it refuses any
        // picture larger than the checked one before allocating it (its rows padded to 64, as it checks them).
        context.max_pixels(((header.width() + 63L) & ~63L) * header.height());
        if (av_new_packet(packet, jpeg.length) < 0) {
            throw new MediaException("cannot allocate a packet of " + jpeg.length + " bytes");
        }
        try {
            packet.data().put(jpeg, 0, jpeg.length);
            int r = avcodec_send_packet(context, packet);
            if (r < 0) {
                avcodec_flush_buffers(context);
                throw new MediaException("damaged JPEG frame of " + jpeg.length + " bytes: " + VideoFrames.error(r));
            }
        } finally {
            av_packet_unref(packet);
        }
        int r = avcodec_receive_frame(context, frame);
        if (r < 0) {
            avcodec_flush_buffers(context);
            throw new MediaException("JPEG frame of " + jpeg.length + " bytes holds no picture: " + VideoFrames.error(r));
        }
        try {
            if (frame.width() != header.width() || frame.height() != header.height()) {
                throw new MediaException("JPEG frame of " + jpeg.length + " bytes decodes to " + frame.width() + "x"
                        + frame.height() + ", not the " + header.width() + "x" + header.height()
                        + " its frame header declares");
            }
            return toRgb();
        } finally {
            av_frame_unref(frame);
        }
    }

    private RgbImage toRgb() throws MediaException {
        int w = frame.width();
        int h = frame.height();
        int format = frame.format();
        // the YUVJ formats are full-range YUV: name them as plain YUV and give swscale the range, which it wants
        boolean fullRange = true;
        if (format == AV_PIX_FMT_YUVJ420P) {
            format = AV_PIX_FMT_YUV420P;
        } else if (format == AV_PIX_FMT_YUVJ422P) {
            format = AV_PIX_FMT_YUV422P;
        } else if (format == AV_PIX_FMT_YUVJ444P) {
            format = AV_PIX_FMT_YUV444P;
        } else if (format == AV_PIX_FMT_YUVJ440P) {
            format = AV_PIX_FMT_YUV440P;
        } else if (format == AV_PIX_FMT_YUVJ411P) {
            format = AV_PIX_FMT_YUV411P;
        } else if (format != AV_PIX_FMT_GRAY8) {
            fullRange = frame.color_range() == AVCOL_RANGE_JPEG;
        }
        sws = sws_getCachedContext(sws, w, h, format, w, h, AV_PIX_FMT_RGB24,
                SWS_BILINEAR, null, null, (DoublePointer) null);
        if (sws == null) {
            throw new MediaException("cannot convert a " + w + "x" + h + " JPEG of pixel format "
                    + av_get_pix_fmt_name(frame.format()).getString() + " to RGB");
        }
        IntPointer bt601 = sws_getCoefficients(SWS_CS_ITU601);
        sws_setColorspaceDetails(sws, bt601, fullRange ? 1 : 0, bt601, 1, 0, 1 << 16, 1 << 16);
        // swscale's SIMD writers store whole vectors: with rows of 3w bytes not a multiple of the vector they write
        // past a row's end, and past the buffer's on the last row (a 360-pixel-wide frame corrupted the native heap).
        // So rows are padded to 64 bytes, with 64 more at the end, and copied out row by row.
        int row = 3 * w;
        int stride = (row + 63) & ~63;
        long bytes = (long) stride * h + 64;
        if (rgb == null || rgb.capacity() < bytes) {
            if (rgb != null) {
                rgb.close();
            }
            rgb = new BytePointer(bytes);
        }
        planes.put(0, rgb);
        strides.put(0, stride);
        sws_scale(sws, frame.data(), frame.linesize(), 0, h, planes, strides);
        byte[] out = new byte[row * h];
        if (stride == row) {
            rgb.position(0).get(out);
        } else {
            for (int y = 0; y < h; y++) {
                rgb.position((long) y * stride).get(out, y * row, row);
            }
            rgb.position(0);
        }
        return new RgbImage(w, h, out);
    }
}
