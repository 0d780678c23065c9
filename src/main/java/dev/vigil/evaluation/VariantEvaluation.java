package dev.vigil.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.files.PrivateFiles;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detection;
import dev.vigil.media.ImageFiles;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.PatchDistances;
import dev.vigil.padim.ThresholdStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code eval --variants}: several ways of scoring frames compared on the same fitted features, for the {@code clips}
 * layout. The engine fits the appearance Gaussians (the paper's) and, when a variant blends it in, the motion stream,
 * on all training clips, holding back blocks of frames as {@code train} does ({@link ClipFit}); one pass over the test
 * clips computes both streams' patch distances; every variant then derives its maps and frame scores from those, as
 * the scorer would with that setting. Per variant: frame AUROC on the tuning clips, on the others and pooled, pixel
 * AUROC, PRO, its own default threshold (from its held-back scores) and the false alerts per hour at it.
 * Everything is causal: a frame's score uses that frame and the one before it, and the scales come from training.
 */
public final class VariantEvaluation {
    private static final Logger LOG = LoggerFactory.getLogger(VariantEvaluation.class);
    /** Ped2 and most surveillance clips: 10 frames per second, for alerts per hour */
    public static final double DEFAULT_FPS = 10;

    private VariantEvaluation() {
    }

    /**
     * @param tuneClips clips the variants' settings were tuned on, reported apart from the others
     * @param fps       frames per second of the clips, for alerts per hour
     */
    public static Map<String, Object> run(OnnxBackbone backbone, Evaluation.Options options,
                                          List<ScoringVariant> variants, Set<String> tuneClips, double fps)
            throws IOException {
        Dataset dataset = Dataset.open(options.dataset(), options.layout());
        if (dataset.layout() != Layout.CLIPS) {
            throw new IllegalArgumentException("--variants needs the clips layout: the motion stream compares "
                    + "consecutive frames");
        }
        if (options.model() != null) {
            throw new IllegalArgumentException("--variants fits its own appearance and motion Gaussians; it takes no "
                    + "--model");
        }
        PrivateFiles.createDirectories(options.report());
        Preprocessing pre = options.preprocessing();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, Object>> fits = new ArrayList<>();
        List<boolean[]> masks = null;
        // variants that differ in how they score, not in what is fitted, share one fit
        for (List<ScoringVariant> group : ClipFit.byFit(variants)) {
            try (ClipFit fit = ClipFit.fit(backbone, pre, options.fit(), options.frameCodec(), dataset.train(),
                    group)) {
                List<ClipFit.Clip> clips = fit.score(dataset.testFiles());
                PatchDistances test = PatchDistances.concat(clips.stream().map(ClipFit.Clip::distances).toList());
                if (test.frames() != dataset.test().size()) {
                    throw new IllegalStateException("decoded " + test.frames() + " test frames, labels.json has "
                            + dataset.test().size());
                }
                if (masks == null) {
                    masks = masks(dataset, pre, clips);
                }
                for (ScoringVariant v : group) {
                    rows.add(variantRow(v, fit, dataset, tuneClips, fps, pre, fit.distances(clips), masks));
                    LOG.info("variant {}: {}", v.name(), rows.get(rows.size() - 1));
                }
                ModelInfo info = fit.info();
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("pooling", group.get(0).pooling().toString());
                f.put("variants", group.stream().map(ScoringVariant::name).toList());
                f.put("fitted_frames", info.trainingFrames());
                f.put("motion_pairs", info.hasMotion() ? info.motion().trainingPairs() : 0);
                f.put("held_back_frames", fit.heldBackFrames());
                f.put("appearance_scale", info.hasMotion() ? info.motion().appearanceScale() : null);
                f.put("motion_scale", info.hasMotion() ? info.motion().motionScale() : null);
                f.put("fit_seconds", fit.fitSeconds());
                f.put("score_seconds_both_streams", fit.scoreSeconds());
                f.put("patch_memory", fit.memoryInfo());
                fits.add(f);
            }
        }
        // variants are reported in the order given, whatever fit they share
        rows.sort(java.util.Comparator.comparingInt(r -> variants.stream().map(ScoringVariant::name).toList()
                .indexOf((String) r.get("variant"))));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("dataset", dataset.root().toString());
        report.put("backbone", backbone.manifest().name());
        report.put("features", options.fit().features());
        report.put("input_size", pre.width() + "x" + pre.height());
        report.put("frame_codec", options.frameCodecLabel());
        report.put("tune_clips", List.copyOf(tuneClips));
        // the first fit's figures where the report had them when there was one fit; every fit's under fits
        for (String k : List.of("fitted_frames", "motion_pairs", "held_back_frames", "appearance_scale",
                "motion_scale", "fit_seconds", "score_seconds_both_streams")) {
            report.put(k, fits.get(0).get(k));
        }
        report.put("fits", fits);
        report.put("variants", rows);
        PrivateFiles.write(options.report().resolve("variants.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
        PrivateFiles.writeString(options.report().resolve("variants.md"), table(rows),
                java.nio.charset.StandardCharsets.UTF_8);
        return report;
    }

    private static Map<String, Object> variantRow(ScoringVariant v, ClipFit fit, Dataset dataset,
                                                  Set<String> tuneClips, double fps, Preprocessing pre,
                                                  PatchDistances test, List<boolean[]> masks) {
        ThresholdStats threshold = fit.threshold(v);
        List<TestItem> items = dataset.test();
        int n = items.size();
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            labels[i] = items.get(i).anomalous();
        }
        // timed over the test frames only: the held-back ones are scored outside the timing
        long start = System.nanoTime();
        List<Detection> detections = fit.detect(v, test);
        double perFrameMs = (System.nanoTime() - start) / 1e6 / n;
        double[] scores = new double[n];
        List<float[]> pixelMaps = new ArrayList<>();
        List<boolean[]> pixelMasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scores[i] = detections.get(i).score();
            if (masks.get(i) != null) {
                pixelMaps.add(detections.get(i).map());
                pixelMasks.add(masks.get(i));
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("variant", v.name());
        row.put("frame_auroc_tune", auroc(items, scores, labels, c -> tuneClips.contains(c)));
        row.put("frame_auroc_held_out", auroc(items, scores, labels, c -> !tuneClips.contains(c)));
        row.put("frame_auroc", AnomalyMetrics.imageAuroc(scores, labels));
        Map<String, Double> perClip = new LinkedHashMap<>();
        for (TestItem item : items) {
            perClip.computeIfAbsent(item.clip(), c -> auroc(items, scores, labels, c::equals));
        }
        row.put("frame_auroc_per_clip", perClip);
        row.put("pixel_auroc", AnomalyMetrics.pixelAuroc(pixelMaps, pixelMasks));
        row.put("pro", AnomalyMetrics.pro(pixelMaps, pixelMasks, pre.width(), pre.height(), Evaluation.PRO_MAX_FPR));
        row.put("threshold", threshold.threshold());
        row.putAll(alerts(items, scores, threshold.threshold(), fps));
        row.put("frame_tpr_fpr", rates(scores, labels, threshold.threshold()));
        double distances = fit.distanceMillisPerFrame();
        row.put("distances_ms_per_frame", distances);
        row.put("map_and_score_ms_per_frame", perFrameMs);
        row.put("ms_per_frame", distances + perFrameMs);
        return row;
    }

    private static Map<String, Double> rates(double[] scores, boolean[] labels, double threshold) {
        int tp = 0;
        int fp = 0;
        int pos = 0;
        for (int i = 0; i < scores.length; i++) {
            pos += labels[i] ? 1 : 0;
            if (scores[i] > threshold) {
                tp += labels[i] ? 1 : 0;
                fp += labels[i] ? 0 : 1;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("tpr", pos == 0 ? null : (double) tp / pos);
        m.put("fpr", pos == scores.length ? null : (double) fp / (scores.length - pos));
        return m;
    }

    /** AUROC over the items whose clip passes; null when those hold only one class. */
    private static Double auroc(List<TestItem> items, double[] scores, boolean[] labels,
                                Predicate<String> clip) {
        List<Double> s = new ArrayList<>();
        List<Boolean> l = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (clip.test(items.get(i).clip())) {
                s.add(scores[i]);
                l.add(labels[i]);
            }
        }
        return AnomalyMetrics.imageAurocOrNull(s, l);
    }

    /**
     * The real alert tracker (default policy) over each test clip at the threshold ({@link ClipAlerts}): alerts opened
     * on a normal frame are false, per hour of normal frames; alerts opened during an anomaly count as detections.
     */
    private static Map<String, Object> alerts(List<TestItem> items, double[] scores, double threshold, double fps) {
        ClipAlerts all = ClipAlerts.NONE;
        for (int from = 0; from < items.size(); ) {
            String clip = items.get(from).clip();
            int to = from;
            while (to < items.size() && items.get(to).clip().equals(clip)) {
                to++;
            }
            boolean[] labels = new boolean[to - from];
            for (int i = from; i < to; i++) {
                labels[i - from] = items.get(i).anomalous();
            }
            all = all.plus(ClipAlerts.run(clip, java.util.Arrays.copyOfRange(scores, from, to), labels, threshold,
                    fps));
            from = to;
        }
        double normalHours = all.normalFrames() / fps / 3600;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("false_alerts", all.falseAlerts());
        m.put("alerts_on_anomalies", all.alertsOnAnomalies());
        m.put("events", all.events());
        m.put("events_alerted", all.eventsAlerted());
        m.put("normal_hours", normalHours);
        m.put("false_alerts_per_hour", all.normalFrames() == 0 ? null : all.falseAlerts() / normalHours);
        return m;
    }

    /** Test frames' masks at the input size; null for frames outside the pixel metrics. */
    private static List<boolean[]> masks(Dataset dataset, Preprocessing pre, List<ClipFit.Clip> clips)
            throws IOException {
        Map<Path, int[]> frameSizes = new LinkedHashMap<>();
        for (ClipFit.Clip c : clips) {
            // masks are read at the size of their clip's decoded frames
            frameSizes.put(c.file(), new int[]{c.width(), c.height()});
        }
        List<boolean[]> out = new ArrayList<>();
        for (TestItem item : dataset.test()) {
            if (!item.inPixelMetrics()) {
                out.add(null);
            } else if (item.mask() == null) {
                out.add(new boolean[pre.width() * pre.height()]);
            } else {
                int[] size = frameSizes.get(item.source());
                boolean[] raw = ImageFiles.readMask(item.mask(), size[0], size[1]);
                out.add(pre.applyToMask(raw, size[0], size[1]));
            }
        }
        return out;
    }

    /** The Markdown table of docs/results.md. */
    static String table(List<Map<String, Object>> rows) {
        StringBuilder b = new StringBuilder("| variant | frame AUROC tune | frame AUROC held-out | frame AUROC pooled | "
                + "pixel AUROC | PRO | threshold | frame TPR / FPR | false alerts (per h of normal frames) | "
                + "alerts on anomalies | ms/frame |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map<String, Object> r : rows) {
            b.append("| ").append(r.get("variant"));
            for (String k : List.of("frame_auroc_tune", "frame_auroc_held_out", "frame_auroc", "pixel_auroc", "pro")) {
                b.append(" | ").append(fmt(r.get(k), "%.4f"));
            }
            b.append(" | ").append(fmt(r.get("threshold"), "%.2f"));
            @SuppressWarnings("unchecked")
            Map<String, Double> rates = (Map<String, Double>) r.get("frame_tpr_fpr");
            b.append(" | ").append(fmt(rates.get("tpr"), "%.3f")).append(" / ").append(fmt(rates.get("fpr"), "%.3f"));
            b.append(" | ").append(r.get("false_alerts")).append(" (")
                    .append(fmt(r.get("false_alerts_per_hour"), "%.0f")).append(")");
            b.append(" | ").append(r.get("alerts_on_anomalies"));
            b.append(" | ").append(fmt(r.get("ms_per_frame"), "%.2f")).append(" |\n");
        }
        return b.toString();
    }

    private static String fmt(Object v, String f) {
        return v instanceof Number x ? String.format(f, x.doubleValue()) : "n/a";
    }
}
