package dev.vigil.alerting;

import dev.vigil.stream.Alert;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The alert lifecycle: hysteresis, updates, cooldown, and state that survives serialisation. */
class AlertTrackerTest {
    private static final double T = 10;
    private static final AlertPolicy POLICY = new AlertPolicy(3, 2, 4, 5, 0.10);
    private static final Alert.AnalyticsModule MODULE = new Alert.AnalyticsModule("vigil-padim", "test", "bb", "0");

    /** Feeds scores one per frame (100 ms apart) and returns every alert record produced. */
    private static List<Alert> run(double... scores) {
        AlertTracker tracker = new AlertTracker(POLICY, MODULE);
        List<Alert> out = new ArrayList<>();
        AlertTracker.State state = new AlertTracker.State();
        for (int i = 0; i < scores.length; i++) {
            int seq = i;
            // the state goes through JSON between frames, as it does through the state store
            state = AlertTracker.State.fromJson(state.toJson());
            out.addAll(tracker.observe(state, new AlertTracker.Observation("cam", seq, 1000L + 100L * seq, scores[i],
                    T, 7, 320, 240), () -> List.of(new Alert.Box(seq, 0, 10, 10, 50, scores[seq]))));
        }
        return out;
    }

    @Test
    void shortSpikesNeverOpenAnAlert() {
        assertThat(run(5, 12, 12, 5, 11, 5, 12, 5)).isEmpty();
    }

    @Test
    void anAlertOpensAfterKFramesUpdatesOnANewPeakAndEndsAfterMFramesBelow() {
        List<Alert> alerts = run(5, 11, 12, 13, 20, 14, 9, 15, 9, 9, 5);
        assertThat(alerts).extracting(Alert::type).containsExactly("new", "update", "end");
        Alert open = alerts.get(0);
        assertThat(open.id()).isEqualTo("cam-1100");
        assertThat(open.startSeq()).isEqualTo(1);
        assertThat(open.startTime()).isEqualTo(1100);
        assertThat(open.endTime()).isNull();
        assertThat(open.peakScore()).isEqualTo(13);
        assertThat(open.frames()).isEqualTo(3);
        assertThat(open.modelVersion()).isEqualTo(7);
        assertThat(open.sensor().id()).isEqualTo("cam");
        // a single dip (frame 6) does not split the alert; two frames below end it
        Alert update = alerts.get(1);
        assertThat(update.peakScore()).isEqualTo(20);
        assertThat(update.peakSeq()).isEqualTo(4);
        Alert end = alerts.get(2);
        assertThat(end.id()).isEqualTo(open.id());
        assertThat(end.lastSeq()).isEqualTo(7);
        assertThat(end.endTime()).isEqualTo(1700);
        assertThat(end.frames()).isEqualTo(6);
        assertThat(end.boxes()).singleElement().satisfies(b -> assertThat(b.x()).isEqualTo(4));
    }

    @Test
    void aLongAlertSendsPeriodicUpdatesAndTheCooldownHoldsBackTheNextOne() {
        double[] scores = new double[30];
        java.util.Arrays.fill(scores, 0, 12, 15);
        // ends at frame 13; cooldown 4 frames (14-17): frames 14-16 above threshold do not count
        java.util.Arrays.fill(scores, 12, 14, 5);
        java.util.Arrays.fill(scores, 14, 30, 15);
        List<Alert> alerts = run(scores);
        assertThat(alerts).extracting(Alert::type).containsExactly("new", "update", "end", "new", "update");
        assertThat(alerts.get(1).lastSeq()).isEqualTo(7);
        Alert second = alerts.get(3);
        assertThat(second.startSeq()).isEqualTo(18);
        assertThat(second.id()).isNotEqualTo(alerts.get(0).id());
    }

    @Test
    void aModelWithoutThresholdRaisesNothing() {
        AlertTracker tracker = new AlertTracker(POLICY, MODULE);
        AlertTracker.State s = new AlertTracker.State();
        for (int i = 0; i < 10; i++) {
            assertThat(tracker.observe(s, new AlertTracker.Observation("cam", i, i, 1e6, Double.NaN, 1, 10, 10),
                    List::of)).isEmpty();
        }
    }
}
