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
    void memoryIsAModelPartThatComposesWithTheOthers() {
        ScoringVariant v = ScoringVariant.parse("memory:1+motion:3+top:0.05");
        assertThat(v.usesMemory()).isTrue();
        assertThat(v.memoryRadius()).isEqualTo(1);
        assertThat(v.motionWeight()).isEqualTo(3);
        assertThat(v.frameScore()).isEqualTo(new FrameScore(0.05));
        assertThat(ScoringVariant.parse("motion:3+top:0.05").usesMemory()).isFalse();
        // a model setting, with the default gate unless one is given
        assertThat(v.scoring().memory()).isEqualTo(new dev.vigil.padim.Scoring.Memory(1,
                dev.vigil.padim.Scoring.DEFAULT_GATE));
        assertThat(ScoringVariant.parse("memory:1+gate:0.5+motion:3").scoring().memory())
                .isEqualTo(new dev.vigil.padim.Scoring.Memory(1, 0.5));
        assertThat(v.scoring().withoutMemory()).isEqualTo(ScoringVariant.parse("motion:3+top:0.05").scoring());
        assertThatThrownBy(() -> ScoringVariant.parse("gate:0.5+motion:3")).hasMessageContaining("needs memory:R");
        // the motion stream's memory: with the appearance memory's row band and gate
        ScoringVariant both = ScoringVariant.parse("memory:1+motion-memory+motion:3+top:0.02");
        assertThat(both.motionMemory()).isTrue();
        assertThat(both.scoring().memory()).isEqualTo(new dev.vigil.padim.Scoring.Memory(1,
                dev.vigil.padim.Scoring.DEFAULT_GATE, true));
        assertThat(v.motionMemory()).isFalse();
        assertThatThrownBy(() -> ScoringVariant.parse("motion-memory+motion:3")).hasMessageContaining(
                "needs memory:R and motion:W");
        assertThatThrownBy(() -> ScoringVariant.parse("memory:1+motion-memory")).hasMessageContaining(
                "needs memory:R and motion:W");
        // per-position extremes standardise a patch grid: a patch score, not the map's maximum
        assertThat(ScoringVariant.parse("motion:3+top:0.05+evt").extremes()).isTrue();
        assertThatThrownBy(() -> ScoringVariant.parse("motion:3+evt")).hasMessageContaining("needs a patch score");
        assertThatThrownBy(() -> ScoringVariant.parse("memory:1+gate:1")).hasMessageContaining("0 <= Q < 1");
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
