package dev.vigil.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoWriterTest {
    @TempDir
    Path tmp;

    @Test
    void bundledFfmpegEncodesH264() {
        assertThat(VideoWriter.encoderName()).isIn("libx264", "libopenh264");
    }

    @Test
    void syntheticClipRoundTripsThroughMp4() throws IOException {
        List<RgbImage> clip = SyntheticScene.generate(160, 120, 30, 7L, 10, 20);
        Path mp4 = tmp.resolve("scene.mp4");
        VideoWriter.write(mp4, clip, 10);

        List<VideoFrame> decoded;
        try (VideoFrames video = VideoFrames.open(mp4.toString())) {
            assertThat(video.frameRate()).isEqualTo(10.0);
            assertThat(video.width()).isEqualTo(160);
            assertThat(video.height()).isEqualTo(120);
            decoded = new java.util.ArrayList<>();
            video.forEachRemaining(decoded::add);
        }
        assertThat(decoded).hasSize(clip.size());
        for (int i = 0; i < clip.size(); i++) {
            assertThat(decoded.get(i).index()).isEqualTo(i);
            assertThat(decoded.get(i).timestampMicros()).isEqualTo(i * 100_000L);
            // lossy codec and 4:2:0 chroma: compare mean absolute error, not exact bytes
            assertThat(meanAbsError(clip.get(i), decoded.get(i).image())).as("frame %d", i).isLessThan(6.0);
        }
    }

    /** The demo writes its clips on each fresh checkout: the same frames must give the same decoded clip. */
    @Test
    void theSameFramesGiveTheSameClip() throws Exception {
        List<RgbImage> clip = SyntheticScene.generate(320, 240, 60, 7L, 20, 30);
        long[] hashes = new long[2];
        for (int run = 0; run < 2; run++) {
            Path mp4 = tmp.resolve("run" + run + ".mp4");
            VideoWriter.write(mp4, clip, 10);
            try (VideoFrames frames = VideoFrames.open(mp4.toString())) {
                while (frames.hasNext()) {
                    hashes[run] = hashes[run] * 31 + java.util.Arrays.hashCode(frames.next().image().pixels());
                }
            }
        }
        assertThat(hashes[1]).isEqualTo(hashes[0]);
    }

    @Test
    void rejectsFramesOfAnotherSize() throws IOException {
        try (VideoWriter writer = VideoWriter.open(tmp.resolve("a.mp4"), 32, 32, 5)) {
            writer.write(new RgbImage(32, 32, new byte[32 * 32 * 3]));
            assertThatThrownBy(() -> writer.write(new RgbImage(16, 16, new byte[16 * 16 * 3])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.mp4");
        }
        assertThatThrownBy(() -> VideoWriter.open(tmp.resolve("b.mp4"), 31, 32, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unwritablePathIsNamed() {
        Path bad = tmp.resolve("no/such/dir/c.mp4");
        assertThatThrownBy(() -> VideoWriter.open(bad, 32, 32, 5))
                .isInstanceOf(MediaException.class).hasMessageContaining(bad.toString());
    }

    static double meanAbsError(RgbImage a, RgbImage b) {
        long sum = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            sum += Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff));
        }
        return sum / (double) a.pixels().length;
    }
}
