package dev.vigil.untrusted;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Camera ids and logged values from outside: one rule for ids, and no value that can forge a log line. */
class UntrustedTextTest {
    @Test
    void cameraIdsFollowTheRulesOfCamerasYaml() {
        assertThat(CameraId.isValid("gate-1")).isTrue();
        assertThat(CameraId.isValid("Dock_2.north")).isTrue();
        assertThat(CameraId.isValid("a".repeat(CameraId.MAX_LENGTH))).isTrue();

        assertThat(CameraId.isValid(null)).isFalse();
        assertThat(CameraId.isValid("")).isFalse();
        assertThat(CameraId.isValid("-gate")).isFalse();
        assertThat(CameraId.isValid("gate 1")).isFalse();
        assertThat(CameraId.isValid("gate#1")).isFalse();
        assertThat(CameraId.isValid("../etc")).isFalse();
        assertThat(CameraId.isValid("a".repeat(CameraId.MAX_LENGTH + 1))).isFalse();
        assertThat(CameraId.isValid("gate\n")).isFalse();
        assertThat(CameraId.isValid("gäte")).isFalse();
    }

    @Test
    void aRefusedIdIsQuotedEscapedAndCut() {
        String forged = "gate\n12:00:00.000 ERROR Vigil - \u001b[31mbroker lost\u001b[0m";
        assertThatThrownBy(() -> CameraId.require(forged))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("camera id 'gate\\n12:00:00.000 ERROR Vigil - \\u001b[31mbroker lost")
                .hasMessageNotContaining("\n").hasMessageNotContaining("\u001b");
        String huge = "x".repeat(100_000);
        assertThat(CameraId.problem(huge)).hasSizeLessThan(LogText.MAX_LENGTH + 200).contains("(100000 chars)");
    }

    @Test
    void escapedTextHasNoControlOrFormatCharacters() {
        String text = LogText.escape("a\r\nb\tc\u0000d\u202ee\u2028f\\g");
        assertThat(text).isEqualTo("a\\r\\nb\\tc\\u0000d\\u202ee\\u2028f\\\\g");
        assertThat(LogText.escape(null)).isEqualTo("null");
        assertThat(LogText.quote("gate")).isEqualTo("'gate'");
    }
}
