package dev.vigil.engine;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SyntheticScene;
import dev.vigil.padim.ModelFile;
import dev.vigil.padim.PadimModel;
import dev.vigil.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine refuses an encoded frame from its header before decoding it: a frame larger than its limit, or of
 * another size than submitted, fails alone, and the frames around it are scored.
 */
class FrameBoundsTest {
    private static final int W = 64;
    private static final int H = 48;

    @Test
    void aFrameAboveTheLimitOrOfAnotherSizeFailsAloneBeforeItIsDecoded(@TempDir Path dir) throws Exception {
        SyntheticScene scene = new SyntheticScene(W, H, 5, 200, 215);
        Path file = dir.resolve("camera.vgm");
        try (OnnxBackbone backbone = OnnxBackbone.load(SharedData.backbone("mobilenetv2-l123"))) {
            try (PadimModel fitted = new Trainer(backbone, new Preprocessing(Preprocessing.Mode.RESIZE, W, H),
                    new FitOptions(20, 3, 0.01, 8, 0, 0, "bounds")).fit(IntStream.range(0, 12)
                    .mapToObj(scene::frame).iterator())) {
                ModelFile.write(file, fitted);
            }
            FrameCodec png = FrameCodec.parse("png");
            RgbImage frame = scene.frame(20);
            // a limit just below the frame's own size refuses it; the default takes it
            try (ScoringEngine engine = new ScoringEngine(backbone, 4, Duration.ZERO, W * H - 1L)) {
                ScoringEngine.CameraModel camera = engine.load("gate", 1, file);
                assertThatThrownBy(() -> engine.submit(camera, png.encode(frame), W, H).get())
                        .isInstanceOf(ExecutionException.class).cause()
                        .isInstanceOf(UndecodableFrameException.class)
                        .hasMessage("PNG frame declares 64x48 = 3072 pixels, above the limit of 3071 "
                                + "(max-frame-pixels)");
                camera.release();
            }
            try (ScoringEngine engine = new ScoringEngine(backbone, 4, Duration.ZERO)) {
                ScoringEngine.CameraModel camera = engine.load("gate", 1, file);
                CompletableFuture<Detection> before = engine.submit(camera, png.encode(frame), W, H);
                CompletableFuture<Detection> bomb = engine.submit(camera, bomb(), 26000, 26000);
                CompletableFuture<Detection> wrongSize = engine.submit(camera, png.encode(frame), 640, 480);
                CompletableFuture<Detection> after = engine.submit(camera, png.encode(frame), W, H);
                assertThatThrownBy(bomb::get).cause().isInstanceOf(UndecodableFrameException.class)
                        .hasMessage("PNG frame declares 26000x26000 = 676000000 pixels, above the limit of 8294400 "
                                + "(max-frame-pixels)");
                assertThatThrownBy(wrongSize::get).cause().isInstanceOf(UndecodableFrameException.class)
                        .hasMessage("PNG frame declares 64x48 but its record says 640x480");
                assertThat(after.get().score()).isEqualTo(before.get().score());
                camera.release();
            }
            assertThatThrownBy(() -> new ScoringEngine(backbone, 4, Duration.ZERO, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        }
    }

    /** A PNG header declaring 26000 x 26000 RGB pixels, with a token of image data: refused before it is read. */
    private static byte[] bomb() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", new byte[]{0, 0, 0x65, (byte) 0x90, 0, 0, 0x65, (byte) 0x90, 8, 2, 0, 0, 0});
        chunk(out, "IDAT", new byte[]{0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        byte[] name = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        crc.update(name);
        crc.update(data);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(name).put(data).putInt((int) crc.getValue());
        out.writeBytes(b.array());
    }
}
