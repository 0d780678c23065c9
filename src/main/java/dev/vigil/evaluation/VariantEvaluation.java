package dev.vigil.evaluation;

import dev.vigil.files.PrivateFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.alerting.AlertPolicy;
import dev.vigil.alerting.AlertTracker;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.FeatureExtractor;
import dev.vigil.engine.FitOptions;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.ImageFiles;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SourceFrame;
import dev.vigil.padim.AnomalyMapOperator;
import dev.vigil.padim.ChannelSelection;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.FrameDifferences;
import dev.vigil.padim.GaussianAccumulator;
import dev.vigil.padim.GaussianModel;
import dev.vigil.padim.ThresholdRule;
import dev.vigil.padim.ThresholdStats;
import dev.vigil.stream.Alert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code eval --variants}: several ways of scoring frames compared on the same fitted features, for the {@code clips}
 * layout. One pass fits the appearance Gaussians (the paper's) and the motion Gaussians (differences of consecutive
 * frames' embeddings within a clip, {@link FrameDifferences}), holding back the same blocks of frames as
 * {@code Trainer}; one pass over the test clips computes both streams' patch distances; every variant then derives
 * its maps and frame scores from those. Per variant: frame AUROC on the tuning clips, on the others and pooled, pixel
 * AUROC, PRO, its own default threshold (from its held-back scores) and the false alerts per hour at it.
 * Everything is causal: a frame's score uses that frame and the one before it, and the scales come from training.
 */
public final class VariantEvaluation {
    private static final Logger LOG = LoggerFactory.getLogger(VariantEvaluation.class);
    /** Ped2 and most surveillance clips: 10 frames per second, for alerts per hour */
    public static final double DEFAULT_FPS = 10;

    /** Patch distances of one frame of both streams; {@code motion} null for a clip's first frame. */
    private record Grids(float[] appearance, float[] motion) {
    }

    /** Time spent per stage over the test pass, for each variant's cost relative to the paper's. */
    private static final class Timing {
        long backbone;
        long appearance;
        long motion;
        int frames;
    }

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
        FitOptions fit = options.fit();
        Preprocessing pre = options.preprocessing();
        int[] channels = ChannelSelection.random(backbone.manifest().totalChannels(), fit.features(), fit.seed());
        FeatureExtractor extractor = new FeatureExtractor(backbone, pre, channels);
        int positions = extractor.embeddings().positions();
        int d = extractor.embeddings().features();

        // fit: clip by clip, so that no difference spans two clips; held-back blocks as Trainer holds them back
        long fitStart = System.nanoTime();
        GaussianAccumulator appearanceFit = new GaussianAccumulator(positions, d);
        GaussianAccumulator motionFit = new GaussianAccumulator(positions, d);
        List<List<RgbImage>> heldBlocks = new ArrayList<>();
        int seen = 0;
        int held = 0;
        int n = fit.holdOutEvery();
        for (Path clip : dataset.train()) {
            List<RgbImage> run = new ArrayList<>();
            RgbImage last = null;
            List<RgbImage> block = null;
            Iterator<SourceFrame> frames = MediaInputs.frames(List.of(clip));
            while (frames.hasNext()) {
                RgbImage frame = extractor.prepare(FrameCodec.roundTrip(options.frameCodec(), frames.next().image()));
                boolean holdOut = n > 0 && (seen / n) % n == n - 1 && held < fit.maxHeldOut();
                seen++;
                if (holdOut) {
                    fitRun(extractor, run, appearanceFit, motionFit, fit.batchSize());
                    run.clear();
                    if (block == null) {
                        // the frame before the block gives the block's first frame its motion
                        block = new ArrayList<>();
                        block.add(last);
                        heldBlocks.add(block);
                    }
                    block.add(frame);
                    held++;
                } else {
                    block = null;
                    run.add(frame);
                }
                last = frame;
            }
            fitRun(extractor, run, appearanceFit, motionFit, fit.batchSize());
        }
        LOG.info("fitted {} frames (motion: {} consecutive pairs), {} held back", appearanceFit.count(),
                motionFit.count(), held);
        try (GaussianModel appearance = appearanceFit.finish(fit.eps(), true);
             GaussianModel motion = motionFit.finish(fit.eps(), true);
             AnomalyMapOperator maps = AnomalyMapOperator.standard(extractor.embeddings().gridHeight(),
                     extractor.embeddings().gridWidth(), pre.height(), pre.width())) {
            double fitSeconds = (System.nanoTime() - fitStart) / 1e9;
            // held-back frames: the streams' scales, and each variant's threshold
            List<Grids> heldGrids = new ArrayList<>();
            Timing untimed = new Timing();
            for (List<RgbImage> block : heldBlocks) {
                FrameDifferences differences = new FrameDifferences(positions, d);
                boolean first = block.get(0) != null;
                List<Grids> g = streams(extractor, appearance, motion, differences,
                        first ? block : block.subList(1, block.size()), fit.batchSize(), untimed);
                heldGrids.addAll(first ? g.subList(1, g.size()) : g);
            }
            double appearanceScale = meanOf(heldGrids, true);
            double motionScale = meanOf(heldGrids, false);
            LOG.info("held-back mean distances: appearance {}, motion {}", appearanceScale, motionScale);

            // test clips: both streams' distances, timed
            List<Grids> testGrids = new ArrayList<>();
            Timing timing = new Timing();
            Map<Path, int[]> frameSizes = new LinkedHashMap<>();
            long scoreStart = System.nanoTime();
            for (Path clip : dataset.testFiles()) {
                List<RgbImage> frames = new ArrayList<>();
                Iterator<SourceFrame> it = MediaInputs.frames(List.of(clip));
                while (it.hasNext()) {
                    RgbImage frame = it.next().image();
                    // masks are read at the size of their clip's decoded frames
                    frameSizes.putIfAbsent(clip, new int[]{frame.width(), frame.height()});
                    frames.add(extractor.prepare(FrameCodec.roundTrip(options.frameCodec(), frame)));
                }
                testGrids.addAll(streams(extractor, appearance, motion, new FrameDifferences(positions, d), frames,
                        fit.batchSize(), timing));
            }
            double scoreSeconds = (System.nanoTime() - scoreStart) / 1e9;
            if (testGrids.size() != dataset.test().size()) {
                throw new IllegalStateException("decoded " + testGrids.size() + " test frames, labels.json has "
                        + dataset.test().size());
            }
            List<boolean[]> masks = masks(dataset, pre, frameSizes);

            List<Map<String, Object>> rows = new ArrayList<>();
            for (ScoringVariant v : variants) {
                rows.add(variantRow(v, dataset, tuneClips, fps, pre, maps, positions, heldGrids, testGrids, masks,
                        appearanceScale, motionScale, timing));
                LOG.info("variant {}: {}", v.name(), rows.get(rows.size() - 1));
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("dataset", dataset.root().toString());
            report.put("backbone", backbone.manifest().name());
            report.put("features", d);
            report.put("input_size", pre.width() + "x" + pre.height());
            report.put("frame_codec", options.frameCodecLabel());
            report.put("tune_clips", List.copyOf(tuneClips));
            report.put("fitted_frames", appearanceFit.count());
            report.put("motion_pairs", motionFit.count());
            report.put("held_back_frames", heldGrids.size());
            report.put("appearance_scale", appearanceScale);
            report.put("motion_scale", motionScale);
            report.put("fit_seconds", fitSeconds);
            report.put("score_seconds_both_streams", scoreSeconds);
            report.put("variants", rows);
            PrivateFiles.write(options.report().resolve("variants.json"),
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
            PrivateFiles.writeString(options.report().resolve("variants.md"), table(rows),
                    java.nio.charset.StandardCharsets.UTF_8);
            return report;
        }
    }

    private static void fitRun(FeatureExtractor extractor, List<RgbImage> run, GaussianAccumulator appearance,
                               GaussianAccumulator motion, int batchSize) {
        FrameDifferences differences = new FrameDifferences(appearance.positions(), appearance.features());
        for (int from = 0; from < run.size(); from += batchSize) {
            List<RgbImage> part = run.subList(from, Math.min(run.size(), from + batchSize));
            EmbeddingBatch batch = extractor.embed(part);
            appearance.add(batch, part.size());
            boolean[] valid = new boolean[part.size()];
            EmbeddingBatch diff = differences.next(batch, 0, part.size(), valid);
            int firstValid = valid[0] ? 0 : 1;
            if (part.size() > firstValid) {
                // the first frame of a run has no difference: drop its (zero) row by fitting the rest only
                EmbeddingBatch rest = firstValid == 0 ? diff : shift(diff, part.size());
                motion.add(rest, part.size() - firstValid);
            }
        }
    }

    /** The batch without its first image. */
    private static EmbeddingBatch shift(EmbeddingBatch batch, int images) {
        int d = batch.features();
        EmbeddingBatch out = EmbeddingBatch.allocate(batch.positions(), d, images - 1);
        for (int p = 0; p < batch.positions(); p++) {
            System.arraycopy(batch.values(), (p * batch.batch() + 1) * d, out.values(), p * (images - 1) * d,
                    (images - 1) * d);
        }
        return out;
    }

    /** Both streams' patch distances of consecutive frames of one sequence. */
    private static List<Grids> streams(FeatureExtractor extractor, GaussianModel appearance, GaussianModel motion,
                                       FrameDifferences differences, List<RgbImage> frames, int batchSize,
                                       Timing timing) {
        int positions = appearance.positions();
        List<Grids> out = new ArrayList<>(frames.size());
        for (int from = 0; from < frames.size(); from += batchSize) {
            List<RgbImage> part = frames.subList(from, Math.min(frames.size(), from + batchSize));
            int k = part.size();
            long t0 = System.nanoTime();
            EmbeddingBatch batch = extractor.embed(part);
            long t1 = System.nanoTime();
            float[] a = appearance.mahalanobis(batch, k);
            long t2 = System.nanoTime();
            boolean[] valid = new boolean[k];
            float[] m = motion.mahalanobis(differences.next(batch, 0, k, valid), k);
            long t3 = System.nanoTime();
            timing.backbone += t1 - t0;
            timing.appearance += t2 - t1;
            timing.motion += t3 - t2;
            timing.frames += k;
            for (int b = 0; b < k; b++) {
                out.add(new Grids(Arrays.copyOfRange(a, b * positions, (b + 1) * positions),
                        valid[b] ? Arrays.copyOfRange(m, b * positions, (b + 1) * positions) : null));
            }
        }
        return out;
    }

    private static double meanOf(List<Grids> grids, boolean appearance) {
        double sum = 0;
        long count = 0;
        for (Grids g : grids) {
            float[] v = appearance ? g.appearance() : g.motion();
            if (v != null) {
                for (float x : v) {
                    sum += x;
                }
                count += v.length;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no held-back frames with a predecessor: too few training frames to "
                    + "scale the streams");
        }
        return sum / count;
    }

    /** A variant's patch grid of one frame. */
    private static float[] grid(ScoringVariant v, Grids g, int positions, double sa, double sm) {
        if (!v.usesMotion()) {
            return g.appearance();
        }
        boolean[] valid = {g.motion() != null};
        return FrameDifferences.blend(g.appearance(), valid[0] ? g.motion() : g.appearance(), valid, 1, positions,
                v.motionWeight(), sa, sm);
    }

    private static Map<String, Object> variantRow(ScoringVariant v, Dataset dataset, Set<String> tuneClips, double fps,
                                                  Preprocessing pre, AnomalyMapOperator maps, int positions,
                                                  List<Grids> heldGrids, List<Grids> testGrids, List<boolean[]> masks,
                                                  double sa, double sm, Timing timing) {
        long start = System.nanoTime();
        double[] heldScores = new double[heldGrids.size()];
        for (int i = 0; i < heldScores.length; i++) {
            float[] g = grid(v, heldGrids.get(i), positions, sa, sm);
            heldScores[i] = v.frameScore().score(g, 0, positions, maps.apply(g, 1)[0]);
        }
        ThresholdStats threshold = ThresholdStats.fromNormalScores(heldScores, ThresholdRule.DEFAULT);
        List<TestItem> items = dataset.test();
        int n = items.size();
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        List<float[]> pixelMaps = new ArrayList<>();
        List<boolean[]> pixelMasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] g = grid(v, testGrids.get(i), positions, sa, sm);
            float[] map = maps.apply(g, 1)[0];
            scores[i] = v.frameScore().score(g, 0, positions, map);
            labels[i] = items.get(i).anomalous();
            if (masks.get(i) != null) {
                pixelMaps.add(map);
                pixelMasks.add(masks.get(i));
            }
        }
        // timed over the test frames only: the held-back ones are scored above, outside the timing
        long mapStart = System.nanoTime();
        for (int i = 0; i < n; i++) {
            float[] g = grid(v, testGrids.get(i), positions, sa, sm);
            v.frameScore().score(g, 0, positions, maps.apply(g, 1)[0]);
        }
        double perFrameMs = (System.nanoTime() - mapStart) / 1e6 / n;
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
        double f = timing.frames;
        double common = (timing.backbone + timing.appearance) / 1e6 / f;
        double cost = common + (v.usesMotion() ? timing.motion / 1e6 / f : 0) + perFrameMs;
        row.put("backbone_ms_per_frame", timing.backbone / 1e6 / f);
        row.put("appearance_ms_per_frame", timing.appearance / 1e6 / f);
        row.put("motion_ms_per_frame", v.usesMotion() ? timing.motion / 1e6 / f : 0.0);
        row.put("map_and_score_ms_per_frame", perFrameMs);
        row.put("ms_per_frame", cost);
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
        if (!l.contains(true) || !l.contains(false)) {
            return null;
        }
        boolean[] lb = new boolean[l.size()];
        for (int i = 0; i < lb.length; i++) {
            lb[i] = l.get(i);
        }
        return AnomalyMetrics.imageAuroc(s.stream().mapToDouble(Double::doubleValue).toArray(), lb);
    }

    /**
     * The real alert tracker (default policy) over each test clip at the threshold: alerts opened on a normal frame
     * are false, per hour of normal frames; alerts opened during an anomaly count as detections.
     */
    private static Map<String, Object> alerts(List<TestItem> items, double[] scores, double threshold, double fps) {
        AlertTracker tracker = new AlertTracker(AlertPolicy.DEFAULT,
                new Alert.AnalyticsModule("vigil-eval", "eval --variants", "eval", "0"));
        Map<String, AlertTracker.State> states = new LinkedHashMap<>();
        int falseAlerts = 0;
        int trueAlerts = 0;
        int normalFrames = 0;
        for (int i = 0; i < items.size(); i++) {
            TestItem item = items.get(i);
            normalFrames += item.anomalous() ? 0 : 1;
            AlertTracker.State s = states.computeIfAbsent(item.clip(), c -> new AlertTracker.State());
            for (Alert a : tracker.observe(s, new AlertTracker.Observation(item.clip(), item.frame(),
                    (long) (item.frame() * 1000 / fps), scores[i], threshold, 0, 0, 0), List::of)) {
                if (a.type() == Alert.Type.NEW) {
                    if (item.anomalous()) {
                        trueAlerts++;
                    } else {
                        falseAlerts++;
                    }
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("false_alerts", falseAlerts);
        m.put("alerts_on_anomalies", trueAlerts);
        m.put("normal_hours", normalFrames / fps / 3600);
        m.put("false_alerts_per_hour", normalFrames == 0 ? null : falseAlerts / (normalFrames / fps / 3600));
        return m;
    }

    /** Test frames' masks at the input size; null for frames outside the pixel metrics. */
    private static List<boolean[]> masks(Dataset dataset, Preprocessing pre, Map<Path, int[]> frameSizes)
            throws IOException {
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
                + "alerts on anomalies | ms/frame | speed vs first row |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        double reference = ((Number) rows.get(0).get("ms_per_frame")).doubleValue();
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
            double ms = ((Number) r.get("ms_per_frame")).doubleValue();
            b.append(" | ").append(String.format("%.2f", ms));
            b.append(" | ").append(String.format("%.2f", reference / ms)).append(" |\n");
        }
        return b.toString();
    }

    private static String fmt(Object v, String f) {
        return v instanceof Number x ? String.format(f, x.doubleValue()) : "n/a";
    }
}
