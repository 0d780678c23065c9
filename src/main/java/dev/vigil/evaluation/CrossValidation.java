package dev.vigil.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.files.PrivateFiles;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.padim.ThresholdRule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code eval --cross-validate K}: how scoring settings do on footage that nobody tuned on, measured with the training
 * clips alone, for the {@code clips} layout. The normal training clips are split into K folds; each fold's model is
 * the engine's own fit ({@link ClipFit}) on the other folds' clips, and it scores its left-out clips (normal footage
 * it has never seen, as a new camera's would be) and every test clip. Each variant is scored with its own default
 * threshold, learnt from its fit's held-back frames as {@code train} learns it.
 *
 * <p>The folds are made by crowd density ({@link CrowdDensity}): clips are ranked densest first and dealt to the folds
 * back and forth (0, 1, ..., K-1, K-1, ..., 0, ...), so each fold leaves out one of the K densest clips, and every
 * model is tested on crowds it has not seen. Per variant it reports the frame AUROC over all folds' frames pooled
 * (the test clips' frames, labelled, and the left-out clips' frames, all normal), each fold's and the worst, the
 * per-clip AUROC, the anomalous events alerted at the default threshold and the false alerts per hour of unseen
 * normal footage, both from the real alert tracker ({@link ClipAlerts}).
 */
public final class CrossValidation {
    private static final Logger LOG = LoggerFactory.getLogger(CrossValidation.class);
    /**
     * the default rule is p99 + 1 x (p99 - p50); these other rules, on the same held-back frames, are reported beside
     * it, to show how a setting's threshold trades events for false alerts
     */
    private static final List<String> OTHER_RULES = List.of("p99", "p99+0.5*(p99-p50)", "p99+2*(p99-p50)",
            "p99+3*(p99-p50)", "p100", "mean+3*std", "mean+4*std");

    private CrossValidation() {
    }

    /**
     * The training clips dealt to {@code k} folds by density: densest first, back and forth, so that fold i leaves out
     * the i-th densest clip. Each fold keeps its clips in the dataset's order.
     */
    static List<List<Path>> folds(List<Path> clips, Map<Path, Double> density, int k) {
        if (k < 2 || k > clips.size()) {
            throw new IllegalArgumentException("cross-validation needs 2 to " + clips.size() + " folds (one per "
                    + "training clip at most), got " + k);
        }
        List<Path> ranked = new ArrayList<>(clips);
        ranked.sort(Comparator.comparing((Path c) -> density.get(c)).reversed());
        List<List<Path>> folds = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            folds.add(new ArrayList<>());
        }
        for (int r = 0; r < ranked.size(); r++) {
            int round = r / k;
            int at = r % k;
            folds.get(round % 2 == 0 ? at : k - 1 - at).add(ranked.get(r));
        }
        for (List<Path> fold : folds) {
            fold.sort(Comparator.comparingInt(clips::indexOf));
        }
        return folds;
    }

    /**
     * @param folds K, at least 2 and at most the number of training clips
     * @param fps   frames per second of the clips, for false alerts per hour
     */
    public static Map<String, Object> run(OnnxBackbone backbone, Evaluation.Options options, int folds,
                                          List<ScoringVariant> variants, double fps) throws IOException {
        return run(backbone, options, folds, variants, fps, List.of());
    }

    /**
     * @param fitClips empty for the protocol itself; else, per N, the protocol again with each fold's model fitted on
     *                 N of its training clips only (the same N for every fold, nested: a seeded order per fold, the
     *                 first N), scored on the same unseen and test clips: quality against minutes of normal footage
     */
    public static Map<String, Object> run(OnnxBackbone backbone, Evaluation.Options options, int folds,
                                          List<ScoringVariant> variants, double fps, List<Integer> fitClips)
            throws IOException {
        Dataset dataset = Dataset.open(options.dataset(), options.layout());
        if (dataset.layout() != Layout.CLIPS) {
            throw new IllegalArgumentException("--cross-validate needs the clips layout: it leaves whole training "
                    + "clips out");
        }
        if (options.model() != null) {
            throw new IllegalArgumentException("--cross-validate fits one model per fold; it takes no --model");
        }
        if (dataset.test().stream().noneMatch(TestItem::anomalous)) {
            throw new IllegalArgumentException("--cross-validate needs anomalous test frames to rank against the "
                    + "normal ones");
        }
        if (fitClips.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--fit-clips needs at least 1 clip per fit, got " + fitClips);
        }
        PrivateFiles.createDirectories(options.report());
        long start = System.nanoTime();
        Map<Path, CrowdDensity> crowd = new LinkedHashMap<>();
        Map<Path, Double> foreground = new LinkedHashMap<>();
        for (Path clip : dataset.train()) {
            CrowdDensity c = CrowdDensity.measure(clip);
            crowd.put(clip, c);
            foreground.put(clip, c.foreground());
            LOG.info("{}: {} frames, foreground {}, motion {}", c.clip(), c.frames(), c.foreground(), c.motion());
        }
        List<List<Path>> leftOut = folds(dataset.train(), foreground, folds);
        Map<String, List<TestItem>> labels = new LinkedHashMap<>();
        for (TestItem item : dataset.test()) {
            labels.computeIfAbsent(item.clip(), c -> new ArrayList<>()).add(item);
        }

        List<Map<String, Object>> foldReports = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, Object>> curve = new ArrayList<>();
        for (Integer n : fitClips.isEmpty() ? java.util.Collections.<Integer>singletonList(null) : fitClips) {
            List<Map<String, Object>> reports = new ArrayList<>();
            List<Map<String, Object>> nRows = protocol(backbone, options, dataset, leftOut, labels, variants, fps, n,
                    reports);
            if (n == null) {
                foldReports = reports;
                rows = nRows;
            } else {
                double minutes = reports.stream().mapToDouble(r -> ((Number) r.get("fitted_frames")).doubleValue()
                        + ((Number) r.get("held_back_frames")).doubleValue()).average().orElse(0) / fps / 60;
                for (Map<String, Object> r : nRows) {
                    Map<String, Object> point = new LinkedHashMap<>();
                    point.put("fit_clips", n);
                    point.put("minutes_fitted", minutes);
                    point.putAll(r);
                    curve.add(point);
                }
                foldReports.addAll(reports);
            }
        }

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("dataset", dataset.root().toString());
        report.put("backbone", backbone.manifest().name());
        report.put("features", options.fit().features());
        report.put("input_size", options.preprocessing().width() + "x" + options.preprocessing().height());
        report.put("frame_codec", options.frameCodecLabel());
        report.put("folds", folds);
        report.put("fps", fps);
        List<Map<String, Object>> clips = new ArrayList<>();
        for (Path clip : dataset.train()) {
            CrowdDensity c = crowd.get(clip);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("clip", c.clip());
            m.put("frames", c.frames());
            m.put("foreground", c.foreground());
            m.put("motion", c.motion());
            int fold = 0;
            while (!leftOut.get(fold).contains(clip)) {
                fold++;
            }
            m.put("left_out_in_fold", fold + 1);
            clips.add(m);
        }
        report.put("training_clips", clips);
        report.put("fold_details", foldReports);
        if (curve.isEmpty()) {
            report.put("variants", rows);
        } else {
            report.put("fit_clips_curve", curve);
        }
        report.put("seconds", (System.nanoTime() - start) / 1e9);
        PrivateFiles.write(options.report().resolve("crossval.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
        PrivateFiles.writeString(options.report().resolve("crossval.md"), (curve.isEmpty() ? table(rows)
                : curveTable(curve)) + "\n" + crowdTable(clips), java.nio.charset.StandardCharsets.UTF_8);
        return report;
    }

    /**
     * The protocol once: every fold fitted (on {@code fitClips} of its training clips, or all of them for null) and
     * scored, each variant tallied; the folds' details go to {@code foldReports}.
     */
    private static List<Map<String, Object>> protocol(OnnxBackbone backbone, Evaluation.Options options,
                                                      Dataset dataset, List<List<Path>> leftOut,
                                                      Map<String, List<TestItem>> labels,
                                                      List<ScoringVariant> variants, double fps, Integer fitClips,
                                                      List<Map<String, Object>> foldReports) {
        Map<ScoringVariant, VariantTally> tallies = new LinkedHashMap<>();
        for (ScoringVariant v : variants) {
            tallies.put(v, new VariantTally(v));
        }
        for (int f = 0; f < leftOut.size(); f++) {
            List<Path> out = leftOut.get(f);
            List<Path> train = dataset.train().stream().filter(c -> !out.contains(c)).toList();
            if (fitClips != null) {
                train = subset(train, fitClips, options.fit().seed() * 31 + f);
            }
            LOG.info("fold {} of {}: fitting on {} clips, leaving out {}", f + 1, leftOut.size(), train.size(),
                    out.stream().map(ClipFit::name).toList());
            Map<String, Object> foldReport = new LinkedHashMap<>();
            if (fitClips != null) {
                foldReport.put("fit_clips", train.stream().map(ClipFit::name).toList());
            }
            foldReport.put("left_out", out.stream().map(ClipFit::name).toList());
            // variants that differ in how they score, not in what is fitted, share one fit
            for (List<ScoringVariant> group : ClipFit.byFit(variants)) {
                try (ClipFit fit = ClipFit.fit(backbone, options.preprocessing(), options.fit(),
                        options.frameCodec(), train, group)) {
                    List<ClipFit.Clip> unseen = fit.score(out);
                    List<ClipFit.Clip> test = fit.score(dataset.testFiles());
                    foldReport.put("fitted_frames", fit.info().trainingFrames());
                    foldReport.put("held_back_frames", fit.heldBackFrames());
                    foldReport.merge("fit_seconds", fit.fitSeconds(), (x, y) -> (double) x + (double) y);
                    foldReport.merge("score_seconds", fit.scoreSeconds(), (x, y) -> (double) x + (double) y);
                    if (fit.memoryInfo() != null) {
                        foldReport.put("patch_memory", fit.memoryInfo());
                    }
                    for (ScoringVariant v : group) {
                        tallies.get(v).addFold(fit, unseen, test, labels, fps);
                    }
                }
            }
            foldReports.add(foldReport);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (VariantTally t : tallies.values()) {
            rows.add(t.row(fps));
        }
        return rows;
    }

    /**
     * The first n of a fold's training clips in a seeded order: the same order for every n, so a larger share holds
     * every smaller one's clips (more footage of the same camera, not other footage).
     */
    static List<Path> subset(List<Path> train, int n, long seed) {
        List<Path> order = new ArrayList<>(train);
        java.util.Collections.shuffle(order, new java.util.Random(seed));
        List<Path> kept = new ArrayList<>(order.subList(0, Math.min(n, order.size())));
        kept.sort(Comparator.comparingInt(train::indexOf));
        return kept;
    }

    /** One variant's figures over the folds. */
    private static final class VariantTally {
        private final ScoringVariant variant;
        /** every fold's frames, pooled: the test clips' (labelled) and the left-out clips' (normal) */
        private final List<Double> scores = new ArrayList<>();
        private final List<Boolean> anomalous = new ArrayList<>();
        /** the test clips' frames alone, pooled over the folds */
        private final List<Double> testScores = new ArrayList<>();
        private final List<Boolean> testLabels = new ArrayList<>();
        private final List<Double> foldAuroc = new ArrayList<>();
        private final List<Double> thresholds = new ArrayList<>();
        private final Map<String, List<Double>> clipAuroc = new LinkedHashMap<>();
        private final List<Integer> foldEventsAlerted = new ArrayList<>();
        /** the anomalous test frames' scores, against the unseen normal frames': do anomalies outscore new crowds? */
        private final List<Double> anomalousVsUnseen = new ArrayList<>();
        private final List<Boolean> anomalousVsUnseenLabels = new ArrayList<>();
        /** per rule of {@link #OTHER_RULES}: events alerted and false alerts on unseen footage */
        private final Map<String, int[]> otherRules = new LinkedHashMap<>();
        /** per left-out clip: frames, frames above the threshold, false alerts */
        private final Map<String, int[]> unseenByClip = new LinkedHashMap<>();
        private ClipAlerts unseen = ClipAlerts.NONE;
        private ClipAlerts test = ClipAlerts.NONE;
        private int anomalousAbove;
        private int anomalousFrames;
        private int unseenAbove;
        private int unseenFrames;

        VariantTally(ScoringVariant variant) {
            this.variant = variant;
        }

        void addFold(ClipFit fit, List<ClipFit.Clip> unseenClips, List<ClipFit.Clip> testClips,
                     Map<String, List<TestItem>> labels, double fps) {
            double threshold = fit.threshold(variant).threshold();
            thresholds.add(threshold);
            List<Double> foldScores = new ArrayList<>();
            List<Boolean> foldLabels = new ArrayList<>();
            int alertedBefore = test.eventsAlerted();
            // each clip's scores and labels, for the other thresholds below
            List<String> names = new ArrayList<>();
            List<double[]> clipScores = new ArrayList<>();
            List<boolean[]> clipLabels = new ArrayList<>();
            for (ClipFit.Clip clip : unseenClips) {
                double[] s = fit.frameScores(variant, clip);
                boolean[] l = new boolean[s.length];
                names.add(clip.name());
                clipScores.add(s);
                clipLabels.add(l);
                ClipAlerts alerts = ClipAlerts.run(clip.name(), s, l, threshold, fps);
                unseen = unseen.plus(alerts);
                int above = 0;
                for (double x : s) {
                    foldScores.add(x);
                    foldLabels.add(false);
                    anomalousVsUnseen.add(x);
                    anomalousVsUnseenLabels.add(false);
                    above += x > threshold ? 1 : 0;
                }
                unseenAbove += above;
                unseenFrames += s.length;
                unseenByClip.put(clip.name(), new int[]{s.length, above, alerts.falseAlerts()});
            }
            for (ClipFit.Clip clip : testClips) {
                double[] s = fit.frameScores(variant, clip);
                List<TestItem> items = labels.get(clip.name());
                if (items == null || items.size() != s.length) {
                    throw new IllegalStateException("clip " + clip.name() + " decoded to " + s.length + " frames, "
                            + "labels.json has " + (items == null ? 0 : items.size()));
                }
                boolean[] l = new boolean[s.length];
                names.add(clip.name());
                clipScores.add(s);
                clipLabels.add(l);
                for (int i = 0; i < s.length; i++) {
                    l[i] = items.get(i).anomalous();
                    foldScores.add(s[i]);
                    foldLabels.add(l[i]);
                    testScores.add(s[i]);
                    testLabels.add(l[i]);
                    if (l[i]) {
                        anomalousVsUnseen.add(s[i]);
                        anomalousVsUnseenLabels.add(true);
                        anomalousFrames++;
                        anomalousAbove += s[i] > threshold ? 1 : 0;
                    }
                }
                test = test.plus(ClipAlerts.run(clip.name(), s, l, threshold, fps));
                // this clip's frames: the last ones added to the test clips' pooled lists
                Double a = AnomalyMetrics.imageAurocOrNull(testScores.subList(testScores.size() - s.length,
                        testScores.size()), testLabels.subList(testLabels.size() - s.length, testLabels.size()));
                if (a != null) {
                    clipAuroc.computeIfAbsent(clip.name(), c -> new ArrayList<>()).add(a);
                }
            }
            foldEventsAlerted.add(test.eventsAlerted() - alertedBefore);
            for (String rule : OTHER_RULES) {
                double t = fit.threshold(variant, ThresholdRule.parse(rule)).threshold();
                ClipAlerts onUnseen = ClipAlerts.NONE;
                ClipAlerts onTest = ClipAlerts.NONE;
                for (int c = 0; c < names.size(); c++) {
                    ClipAlerts a = ClipAlerts.run(names.get(c), clipScores.get(c), clipLabels.get(c), t, fps);
                    if (c < unseenClips.size()) {
                        onUnseen = onUnseen.plus(a);
                    } else {
                        onTest = onTest.plus(a);
                    }
                }
                otherRules.merge(rule, new int[]{onTest.eventsAlerted(), onUnseen.falseAlerts()},
                        (x, y) -> new int[]{x[0] + y[0], x[1] + y[1]});
            }
            foldAuroc.add(AnomalyMetrics.imageAurocOrNull(foldScores, foldLabels));
            scores.addAll(foldScores);
            anomalous.addAll(foldLabels);
        }

        Map<String, Object> row(double fps) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("variant", variant.name());
            r.put("frame_auroc_pooled", AnomalyMetrics.imageAurocOrNull(scores, anomalous));
            r.put("frame_auroc_folds", foldAuroc);
            r.put("frame_auroc_worst_fold", foldAuroc.stream().min(Double::compare).orElse(null));
            r.put("frame_auroc_spread", foldAuroc.stream().max(Double::compare).orElse(0.0)
                    - foldAuroc.stream().min(Double::compare).orElse(0.0));
            r.put("frame_auroc_test_clips", AnomalyMetrics.imageAurocOrNull(testScores, testLabels));
            r.put("frame_auroc_anomalies_vs_unseen_normal", AnomalyMetrics.imageAurocOrNull(anomalousVsUnseen, anomalousVsUnseenLabels));
            Map<String, Double> perClip = new LinkedHashMap<>();
            clipAuroc.forEach((c, v) -> perClip.put(c, v.stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN)));
            r.put("frame_auroc_per_clip", perClip);
            r.put("thresholds", thresholds);
            r.put("events", test.events());
            r.put("events_alerted", test.eventsAlerted());
            r.put("events_alerted_per_fold", foldEventsAlerted);
            r.put("event_recall", test.events() == 0 ? null : (double) test.eventsAlerted() / test.events());
            double unseenHours = unseenFrames / fps / 3600;
            r.put("unseen_normal_frames", unseenFrames);
            r.put("unseen_normal_hours", unseenHours);
            r.put("false_alerts_unseen", unseen.falseAlerts());
            r.put("false_alerts_unseen_per_hour", unseenHours == 0 ? null : unseen.falseAlerts() / unseenHours);
            r.put("false_alerts_test_normal_frames", test.falseAlerts());
            List<Map<String, Object>> margins = new ArrayList<>();
            otherRules.forEach((k, v) -> margins.add(Map.of("rule", k, "events_alerted", v[0],
                    "false_alerts_unseen", v[1])));
            r.put("other_thresholds", margins);
            Map<String, Map<String, Integer>> perUnseen = new LinkedHashMap<>();
            unseenByClip.forEach((c, v) -> perUnseen.put(c, Map.of("frames", v[0], "frames_above_threshold", v[1],
                    "false_alerts", v[2])));
            r.put("unseen_clips", perUnseen);
            r.put("frame_tpr", anomalousFrames == 0 ? null : (double) anomalousAbove / anomalousFrames);
            r.put("frame_fpr_unseen", unseenFrames == 0 ? null : (double) unseenAbove / unseenFrames);
            return r;
        }
    }

    /** The Markdown table of docs/results.md: one row per variant. */
    static String table(List<Map<String, Object>> rows) {
        StringBuilder b = new StringBuilder("| variant | frame AUROC pooled (test + unseen normal) | worst fold | "
                + "spread | test clips only | anomalies vs unseen normal | per test clip | events alerted | false "
                + "alerts on unseen normal (per h) | frame TPR / unseen FPR |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map<String, Object> r : rows) {
            b.append("| ").append(r.get("variant"));
            for (String k : List.of("frame_auroc_pooled", "frame_auroc_worst_fold", "frame_auroc_spread",
                    "frame_auroc_test_clips", "frame_auroc_anomalies_vs_unseen_normal")) {
                b.append(" | ").append(fmt(r.get(k), "%.4f"));
            }
            @SuppressWarnings("unchecked")
            Map<String, Double> perClip = (Map<String, Double>) r.get("frame_auroc_per_clip");
            List<String> clips = new ArrayList<>();
            perClip.forEach((c, a) -> clips.add(String.format("%.2f", a)));
            b.append(" | ").append(String.join(" ", clips));
            b.append(" | ").append(r.get("events_alerted")).append(" / ").append(r.get("events"));
            b.append(" | ").append(r.get("false_alerts_unseen")).append(" (")
                    .append(fmt(r.get("false_alerts_unseen_per_hour"), "%.0f")).append(")");
            b.append(" | ").append(fmt(r.get("frame_tpr"), "%.3f")).append(" / ")
                    .append(fmt(r.get("frame_fpr_unseen"), "%.3f")).append(" |\n");
        }
        return b.toString();
    }

    /** Quality against minutes of normal footage: one row per clips fitted and variant. */
    static String curveTable(List<Map<String, Object>> curve) {
        StringBuilder b = new StringBuilder("| clips fitted per fold | minutes fitted (mean) | variant | frame AUROC "
                + "pooled | worst fold | events alerted | false alerts on unseen normal (per h) | frame TPR / unseen "
                + "FPR |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map<String, Object> r : curve) {
            b.append("| ").append(r.get("fit_clips")).append(" | ").append(fmt(r.get("minutes_fitted"), "%.2f"))
                    .append(" | ").append(r.get("variant"))
                    .append(" | ").append(fmt(r.get("frame_auroc_pooled"), "%.4f"))
                    .append(" | ").append(fmt(r.get("frame_auroc_worst_fold"), "%.4f"))
                    .append(" | ").append(r.get("events_alerted")).append(" / ").append(r.get("events"))
                    .append(" | ").append(r.get("false_alerts_unseen")).append(" (")
                    .append(fmt(r.get("false_alerts_unseen_per_hour"), "%.0f")).append(")")
                    .append(" | ").append(fmt(r.get("frame_tpr"), "%.3f")).append(" / ")
                    .append(fmt(r.get("frame_fpr_unseen"), "%.3f")).append(" |\n");
        }
        return b.toString();
    }

    private static String crowdTable(List<Map<String, Object>> clips) {
        StringBuilder b = new StringBuilder("| training clip | frames | foreground | motion | left out in fold |\n"
                + "| --- | --- | --- | --- | --- |\n");
        for (Map<String, Object> c : clips) {
            b.append("| ").append(c.get("clip")).append(" | ").append(c.get("frames"))
                    .append(" | ").append(fmt(c.get("foreground"), "%.4f"))
                    .append(" | ").append(fmt(c.get("motion"), "%.2f"))
                    .append(" | ").append(c.get("left_out_in_fold")).append(" |\n");
        }
        return b.toString();
    }

    private static String fmt(Object v, String f) {
        return v instanceof Number x ? String.format(f, x.doubleValue()) : "n/a";
    }
}
