package dev.vigil.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Camera credentials never leave in a log line, a status record or an error message. */
class SourceRedactionTest {

    @Test
    void theUserinfoOfAUrlIsHidden() {
        assertThat(SourceRedaction.redact("rtsp://admin:hunter2@10.0.0.12:554/stream1"))
                .isEqualTo("rtsp://***@10.0.0.12:554/stream1");
        assertThat(SourceRedaction.redact("http://viewer@cam.local/video.mjpg"))
                .isEqualTo("http://***@cam.local/video.mjpg");
        assertThat(SourceRedaction.redact("RTSP://a:b@host")).isEqualTo("RTSP://***@host");
    }

    @Test
    void aPasswordWithAnAtSignIsHiddenWhole() {
        // FFmpeg takes the last @ before the path as the end of the userinfo
        assertThat(SourceRedaction.redact("rtsp://admin:p@ss@w0rd@10.0.0.12/stream1"))
                .isEqualTo("rtsp://***@10.0.0.12/stream1");
    }

    @Test
    void sourcesWithoutCredentialsAreUnchanged() {
        for (String source : new String[]{"rtsp://10.0.0.12:554/stream1", "udp://@:5000",
                "http://cam.local/snap?user=x@y", "sample-streams/walkway-normal.mp4", "/data/a@b.mp4", ""}) {
            assertThat(SourceRedaction.redact(source)).as(source).isEqualTo(source);
        }
        assertThat(SourceRedaction.redact(null)).isNull();
    }

    @Test
    void everyUrlInAMessageIsRedacted() {
        assertThat(SourceRedaction.redact("cannot open video rtsp://u:secret@h/1: Connection refused; "
                + "fallback \"http://u2:secret2@h2/x\" failed"))
                .isEqualTo("cannot open video rtsp://***@h/1: Connection refused; fallback \"http://***@h2/x\" failed");
    }

    @Test
    void settingsPrintTheirSourceRedacted() {
        CameraIngest.Settings s = new CameraIngest.Settings("gate", "rtsp://admin:hunter2@10.0.0.12/s", 5,
                dev.vigil.media.FrameCodec.DEFAULT, CameraIngest.INITIAL_BACKOFF, CameraIngest.MAX_BACKOFF);
        assertThat(s.toString()).contains("rtsp://***@10.0.0.12/s").doesNotContain("hunter2");
        assertThat(s.redactedSource()).isEqualTo("rtsp://***@10.0.0.12/s");
    }
}
