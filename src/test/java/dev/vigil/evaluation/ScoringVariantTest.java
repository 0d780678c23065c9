package dev.vigil.evaluation;

import dev.vigil.padim.FrameScore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoringVariantTest {
    @Test
    void plainIsThePapersAndTheOtherFormsNameAStreamAndAScore() {
        assertThat(ScoringVariant.parse("plain")).isEqualTo(new ScoringVariant("plain", 0, FrameScore.MAX));
        assertThat(ScoringVariant.parse("top:0.05").frameScore()).isEqualTo(new FrameScore(0.05));
        assertThat(ScoringVariant.parse("top:0.05").usesMotion()).isFalse();
        assertThat(ScoringVariant.parse("appearance+top:0.1").frameScore()).isEqualTo(new FrameScore(0.1));
        ScoringVariant motion = ScoringVariant.parse("motion:3+top:0.05");
        assertThat(motion.motionWeight()).isEqualTo(3);
        assertThat(motion.frameScore()).isEqualTo(new FrameScore(0.05));
        assertThat(ScoringVariant.parse("motion:1.5").frameScore()).isEqualTo(FrameScore.MAX);
        for (String v : ScoringVariant.DEFAULTS.split(",")) {
            assertThat(ScoringVariant.parse(v).name()).isEqualTo(v);
        }
    }

    @Test
    void memoryIsAnEvaluationPartThatComposesWithTheOthers() {
        ScoringVariant v = ScoringVariant.parse("memory:1+motion:3+top:0.05");
        assertThat(v.usesMemory()).isTrue();
        assertThat(v.memoryRadius()).isEqualTo(1);
        assertThat(v.motionWeight()).isEqualTo(3);
        assertThat(v.frameScore()).isEqualTo(new FrameScore(0.05));
        assertThat(ScoringVariant.parse("motion:3+top:0.05").usesMemory()).isFalse();
        // not a model setting: the fit is the one without it
        assertThat(v.scoring()).isEqualTo(ScoringVariant.parse("motion:3+top:0.05").scoring());
        assertThatThrownBy(() -> ScoringVariant.parse("memory:-1")).hasMessageContaining("memory:R");
        assertThatThrownBy(() -> ScoringVariant.parse("memory:1+memory:2")).hasMessageContaining("memory:R");
    }

    @Test
    void aMalformedVariantIsRefusedByName() {
        assertThatThrownBy(() -> ScoringVariant.parse("motion:0")).hasMessageContaining("'motion:0'")
                .hasMessageContaining("positive weight");
        assertThatThrownBy(() -> ScoringVariant.parse("optical-flow")).hasMessageContaining("'optical-flow'")
                .hasMessageContaining("motion:W");
        assertThatThrownBy(() -> ScoringVariant.parse("motion:2+top:7")).hasMessageContaining("'motion:2+top:7'")
                .hasMessageContaining("max or top:F");
    }
}
