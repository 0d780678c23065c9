package dev.vigil.evaluation;

import dev.vigil.alerting.AlertPolicy;
import dev.vigil.alerting.AlertTracker;
import dev.vigil.stream.Alert;

import java.util.List;

/**
 * The real alert tracker ({@link AlertTracker}, default policy: 3 frames above the threshold open an alert) run over
 * one clip's frame scores, as the service would run it over a camera's: what an operator would have been shown.
 *
 * @param falseAlerts       alerts opened on a normal frame
 * @param alertsOnAnomalies alerts opened on an anomalous frame
 * @param events            anomalous events: runs of consecutive anomalous frames
 * @param eventsAlerted     events during which an alert was open at some frame (opened in it, or still open from
 *                          before it)
 * @param normalFrames      normal frames of the clip, for false alerts per hour
 */
record ClipAlerts(int falseAlerts, int alertsOnAnomalies, int events, int eventsAlerted, int normalFrames) {
    static final ClipAlerts NONE = new ClipAlerts(0, 0, 0, 0, 0);

    /**
     * @param labels per frame, whether it is anomalous
     * @param fps    frames per second of the clip: the tracker's timestamps
     */
    static ClipAlerts run(String clip, double[] scores, boolean[] labels, double threshold, double fps) {
        AlertTracker tracker = new AlertTracker(AlertPolicy.DEFAULT,
                new Alert.AnalyticsModule("vigil-eval", "eval", "eval", "0"));
        AlertTracker.State state = new AlertTracker.State();
        int falseAlerts = 0;
        int onAnomalies = 0;
        int events = 0;
        int alerted = 0;
        int normal = 0;
        boolean eventAlerted = false;
        for (int i = 0; i < scores.length; i++) {
            if (labels[i] && (i == 0 || !labels[i - 1])) {
                events++;
                eventAlerted = false;
            }
            normal += labels[i] ? 0 : 1;
            List<Alert> out = tracker.observe(state, new AlertTracker.Observation(clip, i, (long) (i * 1000 / fps),
                    scores[i], threshold, 0, 0, 0), List::of);
            for (Alert a : out) {
                if (a.type() == Alert.Type.NEW) {
                    if (labels[i]) {
                        onAnomalies++;
                    } else {
                        falseAlerts++;
                    }
                }
            }
            if (labels[i] && state.open() && !eventAlerted) {
                eventAlerted = true;
                alerted++;
            }
        }
        return new ClipAlerts(falseAlerts, onAnomalies, events, alerted, normal);
    }

    ClipAlerts plus(ClipAlerts o) {
        return new ClipAlerts(falseAlerts + o.falseAlerts, alertsOnAnomalies + o.alertsOnAnomalies, events + o.events,
                eventsAlerted + o.eventsAlerted, normalFrames + o.normalFrames);
    }
}
