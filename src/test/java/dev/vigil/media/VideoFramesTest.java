package dev.vigil.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoFramesTest {
    static final Path PED2_TEST = Path.of(System.getProperty("vigil.shared")).resolve("datasets/ucsd-ped2/test");

    @TempDir
    Path tmp;

    @Test
    void decodesUcsdClipWithOneFramePerGroundTruthMask() throws IOException {
        long masks;
        try (Stream<Path> files = Files.list(PED2_TEST.resolve("Test001_gt"))) {
            masks = files.filter(p -> p.toString().endsWith(".png")).count();
        }
        JsonNode labels = new ObjectMapper().readTree(PED2_TEST.resolve("labels.json").toFile());
        assertThat(labels.at("/clips/Test001/frames").asInt()).isEqualTo(masks).isEqualTo(180);

        List<VideoFrame> frames = new ArrayList<>();
        try (VideoFrames video = VideoFrames.open(PED2_TEST.resolve("Test001.mp4").toString())) {
            assertThat(video.width()).isEqualTo(360);
            assertThat(video.height()).isEqualTo(240);
            assertThat(video.frameRate()).isEqualTo(labels.get("fps").asDouble());
            assertThat(video.lengthInFrames()).isBetween(175, 185); // an estimate
            video.forEachRemaining(frames::add);
            assertThat(video.hasNext()).isFalse();
            assertThat(video.read()).isNull();
        }
        assertThat(frames).hasSize((int) masks);
        for (int i = 0; i < frames.size(); i++) {
            VideoFrame f = frames.get(i);
            assertThat(f.index()).isEqualTo(i);
            assertThat(f.image().width()).isEqualTo(360);
            assertThat(f.image().height()).isEqualTo(240);
            if (i > 0) {
                assertThat(f.timestampMicros()).isGreaterThan(frames.get(i - 1).timestampMicros());
            }
        }
        // Ped2 is gray footage stored as colour: decoded R, G and B should agree closely
        RgbImage img = frames.get(90).image();
        long diff = 0;
        for (int i = 0; i < img.pixels().length; i += 3) {
            diff += Math.abs((img.pixels()[i] & 0xff) - (img.pixels()[i + 2] & 0xff));
        }
        assertThat(diff / (360.0 * 240)).isLessThan(3.0);
    }

    @Test
    void readAllMatchesLabelsForEveryTestClip() throws IOException {
        JsonNode clips = new ObjectMapper().readTree(PED2_TEST.resolve("labels.json").toFile()).get("clips");
        for (String clip : List.of("Test003", "Test006")) {
            List<RgbImage> images = VideoFrames.readAll(PED2_TEST.resolve(clip + ".mp4"));
            assertThat(images).as(clip).hasSize(clips.at("/" + clip + "/frames").asInt());
        }
    }

    @Test
    void missingFileIsNamed() {
        Path missing = tmp.resolve("nope.mp4");
        assertThatThrownBy(() -> VideoFrames.open(missing.toString()))
                .isInstanceOf(MediaException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("file not found");
    }

    @Test
    void corruptFileIsNamed() throws IOException {
        Path junk = tmp.resolve("junk.mp4");
        byte[] bytes = new byte[4096];
        new java.util.Random(1).nextBytes(bytes);
        Files.write(junk, bytes);
        assertThatThrownBy(() -> VideoFrames.readAll(junk))
                .isInstanceOf(MediaException.class)
                .hasMessageContaining(junk.toString());
    }

    @Test
    void fileWithoutVideoIsRejected() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.srt"), "1\n00:00:00,000 --> 00:00:01,000\nhello\n");
        assertThatThrownBy(() -> VideoFrames.open(text.toString()))
                .isInstanceOf(MediaException.class)
                .hasMessageContaining(text.toString());
    }
}
