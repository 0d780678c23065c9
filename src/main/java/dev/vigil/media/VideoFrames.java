package dev.vigil.media;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Decodes the video frames of a file or stream URL with FFmpeg (JavaCV's {@link FFmpegFrameGrabber}), in order,
 * as {@link VideoFrame}s of {@code [height][width][3]} RGB. Audio is skipped.
 *
 * <p>Pull frames with {@link #read()}, which throws checked {@link MediaException}s, or iterate; the iterator wraps
 * them in {@link UncheckedIOException}. Not thread-safe; close it to free the native decoder.
 */
public final class VideoFrames implements AutoCloseable, Iterator<VideoFrame> {
    private static final Pattern URL = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final Pattern ERROR_CODE = Pattern.compile("error (-\\d+)");

    static {
        // FFmpeg logs every recoverable glitch to stderr by default; errors are enough
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    private final String source;
    private final FFmpegFrameGrabber grabber;
    private int nextIndex;
    private VideoFrame pending;
    private boolean ended;
    private boolean closed;

    private VideoFrames(String source, FFmpegFrameGrabber grabber) {
        this.source = source;
        this.grabber = grabber;
    }

    /** Opens a local file path or a URL ({@code rtsp://}, {@code http://}, {@code file://}...). */
    public static VideoFrames open(String source) throws MediaException {
        return open(source, Map.of());
    }

    /** Opens {@code source}, passing {@code options} to FFmpeg's demuxer (e.g. {@code rtsp_transport=tcp}). */
    public static VideoFrames open(String source, Map<String, String> options) throws MediaException {
        if (!URL.matcher(source).matches()) {
            Path path = Path.of(source);
            // FFmpeg only says "No such file or directory"; check here to name the file
            if (!Files.isRegularFile(path)) {
                throw new MediaException("cannot open video " + source + ": "
                        + (Files.exists(path) ? "not a regular file" : "file not found"));
            }
        }
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source);
        grabber.setPixelFormat(avutil.AV_PIX_FMT_BGR24);
        grabber.setImageMode(FrameGrabber.ImageMode.COLOR);
        options.forEach(grabber::setOption);
        try {
            grabber.start();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            releaseQuietly(grabber);
            throw new MediaException("cannot open video " + source + ": " + describe(e), e);
        }
        if (!grabber.hasVideo() || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
            releaseQuietly(grabber);
            throw new MediaException("cannot open video " + source + ": no video stream");
        }
        return new VideoFrames(source, grabber);
    }

    /** Decodes all frames of a video file; for clips that fit in memory. */
    public static List<RgbImage> readAll(Path video) throws MediaException {
        List<RgbImage> images = new ArrayList<>();
        try (VideoFrames frames = open(video.toString())) {
            for (VideoFrame f = frames.read(); f != null; f = frames.read()) {
                images.add(f.image());
            }
        }
        return images;
    }

    /** The next frame, or {@code null} at the end of the stream. */
    public VideoFrame read() throws MediaException {
        if (pending != null) {
            VideoFrame f = pending;
            pending = null;
            return f;
        }
        if (closed) {
            throw new MediaException("cannot read video " + source + ": already closed");
        }
        if (ended) {
            return null;
        }
        Frame frame;
        try {
            frame = grabber.grabImage();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            throw new MediaException("cannot decode video " + source + " at frame " + nextIndex + ": "
                    + describe(e), e);
        }
        if (frame == null) {
            ended = true;
            return null;
        }
        return new VideoFrame(nextIndex++, frame.timestamp, toRgb(frame));
    }

    @Override
    public boolean hasNext() {
        if (pending == null && !ended) {
            try {
                pending = read();
            } catch (MediaException e) {
                throw new UncheckedIOException(e);
            }
        }
        return pending != null;
    }

    @Override
    public VideoFrame next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more frames in " + source);
        }
        VideoFrame f = pending;
        pending = null;
        return f;
    }

    /** The source as given to {@link #open}. */
    public String source() {
        return source;
    }

    /** Frames per second from the container; may be 0 or nominal for live streams. */
    public double frameRate() {
        return grabber.getVideoFrameRate();
    }

    public int width() {
        return grabber.getImageWidth();
    }

    public int height() {
        return grabber.getImageHeight();
    }

    /** The container's estimate of the number of video frames (duration x frame rate); 0 when unknown. */
    public int lengthInFrames() {
        return grabber.getLengthInVideoFrames();
    }

    @Override
    public void close() throws MediaException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            grabber.release();
        } catch (FrameGrabber.Exception e) {
            throw new MediaException("cannot close video " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies a BGR24 frame ({@code imageStride} bytes per row, possibly padded) into packed RGB, a row at a time.
     */
    static RgbImage toRgb(Frame frame) {
        int w = frame.imageWidth;
        int h = frame.imageHeight;
        if (frame.imageChannels != 3 || frame.imageDepth != Frame.DEPTH_UBYTE) {
            throw new IllegalArgumentException("expected an 8-bit 3-channel BGR frame, got " + frame.imageChannels
                    + " channels of depth " + frame.imageDepth);
        }
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        int stride = frame.imageStride;
        int rowBytes = w * 3;
        byte[] out = new byte[rowBytes * h];
        for (int y = 0; y < h; y++) {
            buf.get(y * stride, out, y * rowBytes, rowBytes);
        }
        for (int i = 0; i < out.length; i += 3) {
            byte b = out[i];
            out[i] = out[i + 2];
            out[i + 2] = b;
        }
        return new RgbImage(w, h, out);
    }

    /**
     * JavaCV's message without its hints to the Java caller, with FFmpeg's text for the error code it quotes
     * (e.g. "error -1094995529" gets "Invalid data found when processing input").
     */
    static String describe(Exception e) {
        String message = String.valueOf(e.getMessage())
                .replace(" (Has setFormat() been called?)", "")
                .replace(" (For more details, make sure FFmpegLogCallback.set() has been called.)", "");
        Matcher code = ERROR_CODE.matcher(message);
        if (code.find()) {
            message += " (" + error(Integer.parseInt(code.group(1))) + ")";
        }
        return message;
    }

    /** FFmpeg's text for an error code, e.g. "Invalid data found when processing input" for -1094995529. */
    static String error(int code) {
        byte[] text = new byte[256];
        if (avutil.av_strerror(code, text, text.length) != 0) {
            return "error " + code;
        }
        int n = 0;
        while (n < text.length && text[n] != 0) {
            n++;
        }
        return new String(text, 0, n, StandardCharsets.UTF_8);
    }

    private static void releaseQuietly(FFmpegFrameGrabber grabber) {
        try {
            grabber.release();
        } catch (FrameGrabber.Exception | RuntimeException ignored) {
            // the open error is the one worth reporting
        }
    }
}
