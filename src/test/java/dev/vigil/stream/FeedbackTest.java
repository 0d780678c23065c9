package dev.vigil.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An operator's confirmation as it travels: bounded, checked field by field whoever wrote it, and read back as sent. */
class FeedbackTest {
    private static Alert alert(String label, long start, long last, long peak, Long endTime) {
        return new Alert("gate-1000", Alert.Type.UPDATE, "gate", label, 1000, endTime, 5000, 40, 30, 20, 7, start,
                last, peak, (int) (last - start + 1), 640, 480, List.of(), new Alert.Sensor("gate", "camera"),
                new Alert.AnalyticsModule("m", "d", "s", "v"), null);
    }

    @Test
    void aConfirmationReadsBackAsItWasWritten() {
        Feedback f = Feedback.normal("gate", 10, 40, 1000, 4000L, "gate-1000", "operator", "a delivery van", 9000);
        Feedback back = Topics.FEEDBACK.read(Topics.FEEDBACK.write(f));
        assertThat(back).isEqualTo(f);
        assertThat(back.frames()).isEqualTo(31);
        assertThat(f.id()).startsWith("gate-9000-");
        assertThat(Feedback.normal("gate", 10, 40, 1000, null, null, "operator", null, 9000).id()).isNotEqualTo(f.id());
        String json = new String(f.toJson(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"from_seq\":10").contains("\"to_seq\":40").contains("\"from_ms\":1000")
                .contains("\"to_ms\":4000").contains("\"verdict\":\"normal\"");
    }

    @Test
    void anAlertIsConfirmedFromItsFirstFrameToItsLastOrAroundItsPeakWhenLong() {
        Feedback shortOne = Feedback.normal(alert(Alert.LABEL, 100, 160, 130, null), "operator", null, 9000);
        assertThat(shortOne.fromSeq()).isEqualTo(100);
        assertThat(shortOne.toSeq()).isEqualTo(160);
        assertThat(shortOne.fromMillis()).isEqualTo(1000);
        assertThat(shortOne.toMillis()).isNull();
        assertThat(shortOne.alert()).isEqualTo("gate-1000");
        Feedback longOne = Feedback.normal(alert(Alert.LABEL, 100, 2000, 1500, 200_000L), "operator", null, 9000);
        assertThat(longOne.frames()).isEqualTo(Feedback.MAX_FRAMES);
        assertThat(longOne.fromSeq()).isEqualTo(1500 - Feedback.MAX_FRAMES / 2);
        Feedback early = Feedback.normal(alert(Alert.LABEL, 100, 2000, 120, 200_000L), "operator", null, 9000);
        assertThat(early.fromSeq()).isEqualTo(100);
        assertThat(early.frames()).isEqualTo(Feedback.MAX_FRAMES);
        Feedback late = Feedback.normal(alert(Alert.LABEL, 100, 2000, 1990, 200_000L), "operator", null, 9000);
        assertThat(late.toSeq()).isEqualTo(2000);
        assertThat(late.frames()).isEqualTo(Feedback.MAX_FRAMES);
        assertThatThrownBy(() -> Feedback.normal(alert(Alert.SCENE_CHANGE, 1, 9, 5, null), "operator", null, 9000))
                .hasMessageContaining("scene change").hasMessageContaining("learns again");
    }

    @Test
    void everyFieldIsCheckedAndBounded() {
        assertThatThrownBy(() -> Feedback.normal("gate", 10, 9, 1000, null, null, "op", null, 1))
                .hasMessageContaining("0 <= from_seq <= to_seq");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, Feedback.MAX_FRAMES, 1000, null, null, "op", null, 1))
                .hasMessageContaining("at most " + Feedback.MAX_FRAMES);
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 1000, 999L, null, "op", null, 1))
                .hasMessageContaining("in order");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 0, 2 * 3600_000L, null, "op", null, 1))
                .hasMessageContaining("60 minutes");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, -1, null, null, "op", null, 1))
                .hasMessageContaining("from_ms");
        assertThatThrownBy(() -> Feedback.normal("../x", 0, 1, 0, null, null, "op", null, 1))
                .hasMessageContaining("camera id");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 0, null, null, " ", null, 1))
                .hasMessageContaining("feedback by");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 0, null, null, "op", "x".repeat(501), 1))
                .hasMessageContaining("reason must be 1 to 500");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 0, null, null, "op\n12:00 ERROR forged", null, 1))
                .hasMessageContaining("one line of printable text").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> Feedback.normal("gate", 0, 1, 0, null, null, "op", "\u001b[31mred", 1))
                .hasMessageContaining("printable");
    }

    @Test
    void aHostileRecordOnTheTopicIsRefusedNamingTheField() {
        String forged = "{\"id\":\"x\",\"camera\":\"gate\",\"verdict\":\"normal\",\"from_seq\":0,\"to_seq\":100000,"
                + "\"from_ms\":0,\"to_ms\":null,\"alert\":null,\"by\":\"op\",\"reason\":null,\"at\":1}";
        assertThatThrownBy(() -> Topics.FEEDBACK.read(forged.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("feedback record refused: feedback covers frames 0..100000");
        String verdict = forged.replace("\"normal\"", "\"anomalous\"").replace("100000", "5");
        assertThatThrownBy(() -> Topics.FEEDBACK.read(verdict.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("verdict must be 'normal'");
        assertThatThrownBy(() -> Topics.FEEDBACK.read("not json".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("feedback record is not valid JSON");
        assertThatThrownBy(() -> Topics.FEEDBACK.read("{}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("camera id is missing");
    }

    @Test
    void aRefinementStatusReadsBackAsWritten() {
        Feedback f = Feedback.normal("gate", 10, 40, 1000, null, null, "operator", null, 9000);
        RefinementStatus queued = RefinementStatus.queued(f, 9001);
        assertThat(RefinementStatus.fromJson(queued.toJson())).isEqualTo(queued);
        assertThat(RefinementStatus.key("gate")).isEqualTo("gate#refinement");
        assertThat(queued.feedback()).isEqualTo(f.id());
        assertThat(queued.state()).isEqualTo(RefinementStatus.QUEUED);
    }
}
