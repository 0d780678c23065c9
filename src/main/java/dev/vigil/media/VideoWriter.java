package dev.vigil.media;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Encodes {@link RgbImage}s ({@code [height][width][3]}, all the same size) into an MP4 file with FFmpeg.
 *
 * <p>The codec is the first encoder the bundled FFmpeg has among {@code libx264}, {@code libopenh264} (H.264) and
 * {@code mpeg4} (MPEG-4 part 2); see {@link #encoderName()}. Frames are stored as YUV 4:2:0, so width and height
 * must be even.
 */
public final class VideoWriter implements AutoCloseable {
    private static final String[] ENCODERS = {"libx264", "libopenh264", "mpeg4"};

    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    private final Path path;
    private final int width;
    private final int height;
    private final FFmpegFrameRecorder recorder;
    private final Frame frame;
    private boolean closed;

    private VideoWriter(Path path, int width, int height, FFmpegFrameRecorder recorder) {
        this.path = path;
        this.width = width;
        this.height = height;
        this.recorder = recorder;
        this.frame = new Frame(width, height, Frame.DEPTH_UBYTE, 3);
    }

    /** Starts an MP4 file of {@code width x height} frames at {@code fps} frames per second. */
    public static VideoWriter open(Path mp4, int width, int height, double fps) throws MediaException {
        if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
            throw new IllegalArgumentException("video size must be positive and even for YUV 4:2:0, got "
                    + width + "x" + height);
        }
        if (!(fps > 0)) {
            throw new IllegalArgumentException("fps must be positive, got " + fps);
        }
        String encoder = encoderName();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(mp4.toFile(), width, height, 0);
        recorder.setFormat("mp4");
        recorder.setVideoCodecName(encoder);
        recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        recorder.setFrameRate(fps);
        recorder.setGopSize((int) Math.ceil(fps)); // a key frame a second, so a reader can seek
        // one encoder thread: with several, libopenh264's slices and rate control depend on timing, and the same
        // frames gave a different clip each run (the demo's threshold moved by 1.5 between fresh clones)
        recorder.setVideoOption("threads", "1");
        switch (encoder) {
            // near-visually-lossless: the clips feed an anomaly detector, where coding artefacts are noise
            case "libx264" -> {
                recorder.setVideoOption("crf", "18");
                recorder.setVideoOption("preset", "medium");
            }
            case "mpeg4" -> recorder.setVideoQuality(2); // qscale 2, the finest useful quantiser
            default -> recorder.setVideoBitrate(Math.max(1_000_000, (int) (width * height * fps * 0.5)));
        }
        try {
            recorder.start();
        } catch (FrameRecorder.Exception | RuntimeException e) {
            try {
                recorder.release();
            } catch (FrameRecorder.Exception ignored) {
                // the start error is the one worth reporting
            }
            throw new MediaException("cannot create video " + mp4 + " with " + encoder + ": "
                    + VideoFrames.describe(e), e);
        }
        return new VideoWriter(mp4, width, height, recorder);
    }

    /** Writes {@code frames} to {@code mp4} at {@code fps}; the size is the first frame's. */
    public static void write(Path mp4, List<RgbImage> frames, double fps) throws MediaException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frames to write to " + mp4);
        }
        try (VideoWriter writer = open(mp4, frames.get(0).width(), frames.get(0).height(), fps)) {
            for (RgbImage image : frames) {
                writer.write(image);
            }
        }
    }

    /** The encoder this FFmpeg build uses for MP4: {@code libx264}, {@code libopenh264} or {@code mpeg4}. */
    public static String encoderName() {
        for (String name : ENCODERS) {
            AVCodec codec = avcodec.avcodec_find_encoder_by_name(name);
            if (codec != null && !codec.isNull()) {
                return name;
            }
        }
        throw new IllegalStateException("the bundled FFmpeg has none of the encoders " + String.join(", ", ENCODERS));
    }

    /** Appends one frame, which must be this writer's size. */
    public void write(RgbImage image) throws MediaException {
        if (closed) {
            throw new MediaException("cannot write to video " + path + ": already closed");
        }
        if (image.width() != width || image.height() != height) {
            throw new IllegalArgumentException("frame is " + image.width() + "x" + image.height() + ", video "
                    + path + " is " + width + "x" + height);
        }
        // RGB -> the frame's BGR24 buffer, honouring its row stride
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        byte[] src = image.pixels();
        byte[] row = new byte[width * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0, s = y * width * 3; x < width * 3; x += 3, s += 3) {
                row[x] = src[s + 2];
                row[x + 1] = src[s + 1];
                row[x + 2] = src[s];
            }
            buf.put(y * frame.imageStride, row);
        }
        try {
            recorder.record(frame, avutil.AV_PIX_FMT_BGR24);
        } catch (FrameRecorder.Exception | RuntimeException e) {
            throw new MediaException("cannot encode frame into video " + path + ": " + VideoFrames.describe(e), e);
        }
    }

    /** Flushes the encoder and finishes the file. */
    @Override
    public void close() throws MediaException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            recorder.stop();
            recorder.release();
        } catch (FrameRecorder.Exception e) {
            throw new MediaException("cannot finish video " + path + ": " + VideoFrames.describe(e), e);
        } finally {
            frame.close();
        }
    }
}
