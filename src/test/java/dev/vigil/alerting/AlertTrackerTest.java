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
        assertThat(alerts).extracting(Alert::type).containsExactly(Alert.Type.NEW, Alert.Type.UPDATE, Alert.Type.END);
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
        assertThat(alerts).extracting(Alert::type).containsExactly(Alert.Type.NEW, Alert.Type.UPDATE, Alert.Type.END,
                Alert.Type.NEW, Alert.Type.UPDATE);
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

    /** Feeds (score, model version) pairs through a tracker that tells scene changes (window 20 frames). */
    private static List<Alert> runScene(double[] scores, long[] versions) {
        AlertTracker tracker = new AlertTracker(POLICY, new SceneChangePolicy(20, 0.7, 0.3), MODULE);
        List<Alert> out = new ArrayList<>();
        AlertTracker.State state = new AlertTracker.State();
        for (int i = 0; i < scores.length; i++) {
            int seq = i;
            state = AlertTracker.State.fromJson(state.toJson());
            out.addAll(tracker.observe(state, new AlertTracker.Observation("cam", seq, 1000L + 100L * seq, scores[i],
                    T, versions[i], 320, 240), () -> List.of(new Alert.Box(seq, 0, 10, 10, 50, scores[seq]))));
        }
        return out;
    }

    @Test
    void aLastingShareAboveThresholdIsOneSceneChangeNotAFloodOfAlerts() {
        // 20 normal frames, then 200 frames almost all above threshold with short dips (which would split anomaly
        // alerts again and again), then normal again
        double[] scores = new double[400];
        long[] versions = new long[400];
        java.util.Arrays.fill(versions, 7);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i >= 20 && i < 220 && i % 9 != 0 ? 15 : 5;
        }
        List<Alert> alerts = runScene(scores, versions);
        List<Alert> scene = alerts.stream().filter(a -> a.label().equals(Alert.SCENE_CHANGE)).toList();
        assertThat(scene).extracting(Alert::type).containsExactly(Alert.Type.NEW, Alert.Type.END);
        // the anomaly alert open when the scene changed is ended, and none opens while it lasts
        List<Alert> anomaly = alerts.stream().filter(a -> a.label().equals(Alert.LABEL)).toList();
        assertThat(anomaly).extracting(Alert::id).containsOnly(anomaly.get(0).id());
        assertThat(anomaly.get(0).type()).isEqualTo(Alert.Type.NEW);
        Alert ended = anomaly.get(anomaly.size() - 1);
        assertThat(ended.type()).isEqualTo(Alert.Type.END);
        assertThat(ended.updatedAt()).isEqualTo(scene.get(0).updatedAt());
        assertThat(scene.get(0).id()).isEqualTo(scene.get(1).id()).startsWith("cam-scene-");
        assertThat(scene.get(1).startTime()).isEqualTo(scene.get(0).startTime());
        assertThat(scene.get(1).endTime()).isNotNull();
    }

    @Test
    void aNewModelEndsTheSceneChangeItWasLearntFor() {
        double[] scores = new double[120];
        long[] versions = new long[120];
        for (int i = 0; i < scores.length; i++) {
            // the old model (7) calls the new scene anomalous; the model learnt on it (8) does not
            versions[i] = i < 80 ? 7 : 8;
            scores[i] = i < 80 ? 15 : 5;
        }
        List<Alert> scene = runScene(scores, versions).stream()
                .filter(a -> a.label().equals(Alert.SCENE_CHANGE)).toList();
        assertThat(scene).extracting(Alert::type).containsExactly(Alert.Type.NEW, Alert.Type.END);
        assertThat(scene.get(1).modelVersion()).isEqualTo(8);
        assertThat(scene.get(1).lastSeq()).isEqualTo(80);
    }

    @Test
    void withoutAScenePolicyAnomalyAlertsAreAllThereIs() {
        double[] scores = new double[300];
        java.util.Arrays.fill(scores, 15);
        assertThat(run(scores)).extracting(Alert::label).containsOnly(Alert.LABEL);
    }
}
