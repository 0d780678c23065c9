package dev.vigil.evaluation;

import dev.vigil.files.PrivateFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detection;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FitOptions;
import dev.vigil.engine.Trainer;
import dev.vigil.media.FrameCodec;
import dev.vigil.media.ImageFiles;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SourceFrame;
import dev.vigil.media.VideoFrame;
import dev.vigil.media.VideoFrames;
import dev.vigil.padim.PadimModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fits PaDiM on a dataset's normal training part (or takes a fitted model), scores every test image or frame and
 * measures the paper's metrics: image AUROC, pixel AUROC and PRO up to a false-positive rate of 0.3. Writes
 * {@code report.json}, {@code summary.md} and PNG figures into the report folder.
 */
public final class Evaluation {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);
    public static final double PRO_MAX_FPR = 0.3;
    private static final int OVERLAYS = 4;

    /**
     * @param model         a fitted model to use instead of fitting, or null
     * @param preprocessing used when fitting (a given model carries its own)
     * @param fit           fit options (features, seed, batch size)
     * @param frameCodec    every training and test frame goes through this codec's encode and decode before it is
     *                      fitted or scored, so the evaluation sees the pixels a frame through Kafka has; null for
     *                      the decoded pixels as read
     */
    public record Options(Path dataset, Layout layout, Path model, Preprocessing preprocessing, FitOptions fit,
                          Path report, FrameCodec frameCodec) {
        /** Options that score the decoded pixels as read, with no codec (the quality figures of docs/results.md). */
        public Options(Path dataset, Layout layout, Path model, Preprocessing preprocessing, FitOptions fit,
                       Path report) {
            this(dataset, layout, model, preprocessing, fit, report, null);
        }

        /** As report.json records it: {@code jpeg:Q}, {@code png} or {@code none}. */
        public String frameCodecLabel() {
            return frameCodec == null ? FrameCodec.NONE : frameCodec.toString();
        }
    }

    /** What was scored for one test item; mask is null for items outside the pixel metrics. */
    private record Scored(TestItem item, float score, float[] map, boolean[] mask) {
    }

    private Evaluation() {
    }

    public static Map<String, Object> run(OnnxBackbone backbone, Options options) throws IOException {
        Dataset dataset = Dataset.open(options.dataset(), options.layout());
        LOG.info("dataset {} ({}): {} training files, {} test items, {} anomalous without a mask; frame codec {}",
                dataset.root(), dataset.layout().label(), dataset.train().size(), dataset.test().size(),
                dataset.withoutMask().size(), options.frameCodecLabel());
        // overlays are pictures of the footage: the report is owner-only
        PrivateFiles.createDirectories(options.report());

        long fitStart = System.nanoTime();
        PadimModel model;
        int trainFrames;
        if (options.model() != null) {
            model = Detector.loadModel(backbone, options.model());
            trainFrames = (int) model.info().trainingFrames();
        } else {
            model = new Trainer(backbone, options.preprocessing(), options.fit())
                    .fit(FrameCodec.roundTrip(options.frameCodec(),
                            MediaInputs.images(MediaInputs.frames(dataset.train()))));
            trainFrames = (int) model.info().trainingFrames() + model.info().threshold().frames();
        }
        double fitSeconds = options.model() != null ? 0.0 : (System.nanoTime() - fitStart) / 1e9;

        List<Scored> scored = new ArrayList<>(dataset.test().size());
        long scoreStart = System.nanoTime();
        try (Detector detector = new Detector(backbone, model)) {
            Preprocessing geometry = detector.extractor().preprocessing();
            Iterator<SourceFrame> frames = MediaInputs.frames(dataset.testFiles());
            Iterator<TestItem> items = dataset.test().iterator();
            Iterator<Map.Entry<TestItem, RgbImage>> pairs = new Iterator<>() {
                public boolean hasNext() {
                    return items.hasNext();
                }

                public Map.Entry<TestItem, RgbImage> next() {
                    TestItem item = items.next();
                    SourceFrame frame = frames.next();
                    if (frame.index() != item.frame()) {
                        throw new IllegalStateException("decoding " + item.source() + " gave frame " + frame.index()
                                + " where frame " + item.frame() + " was expected");
                    }
                    return Map.entry(item, FrameCodec.roundTrip(options.frameCodec(), frame.image()));
                }
            };
            // a model with a motion stream differences consecutive frames of a clip only
            TestItem[] previous = {null};
            java.util.function.Predicate<Map.Entry<TestItem, RgbImage>> follows = pair -> {
                TestItem item = pair.getKey();
                TestItem before = previous[0];
                previous[0] = item;
                return before != null && before.source().equals(item.source()) && item.frame() == before.frame() + 1;
            };
            detector.scoreAll(pairs, options.fit().batchSize(), Map.Entry::getValue, follows, (pair, detection) -> {
                TestItem item = pair.getKey();
                boolean[] mask = null;
                if (item.inPixelMetrics()) {
                    mask = item.mask() == null ? new boolean[detection.width() * detection.height()]
                            : readMask(geometry, item.mask(), pair.getValue());
                }
                scored.add(new Scored(item, detection.score(), detection.map(), mask));
            });
        }
        double scoreSeconds = (System.nanoTime() - scoreStart) / 1e9;
        return report(backbone, options, dataset, model, scored, trainFrames, fitSeconds, scoreSeconds);
    }

    private static boolean[] readMask(Preprocessing geometry, Path maskFile, RgbImage frame) {
        try {
            boolean[] raw = ImageFiles.readMask(maskFile, frame.width(), frame.height());
            return geometry.applyToMask(raw, frame.width(), frame.height());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read mask " + maskFile + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> report(OnnxBackbone backbone, Options options, Dataset dataset,
                                              PadimModel model, List<Scored> scored, int trainFrames,
                                              double fitSeconds, double scoreSeconds) throws IOException {
        int n = scored.size();
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            scores[i] = scored.get(i).score();
            labels[i] = scored.get(i).item().anomalous();
        }
        double imageAuroc = AnomalyMetrics.imageAuroc(scores, labels);
        List<float[]> maps = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        for (Scored s : scored) {
            if (s.mask() != null) {
                maps.add(s.map());
                masks.add(s.mask());
            }
        }
        int width = model.info().inputWidth();
        int height = model.info().inputHeight();
        boolean anyAnomalousPixel = masks.stream().anyMatch(m -> {
            for (boolean b : m) {
                if (b) {
                    return true;
                }
            }
            return false;
        });
        Double pixelAuroc = anyAnomalousPixel ? AnomalyMetrics.pixelAuroc(maps, masks) : null;
        Double pro = anyAnomalousPixel ? AnomalyMetrics.pro(maps, masks, width, height, PRO_MAX_FPR) : null;
        int pixelImages = maps.size();

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("image_auroc", imageAuroc);
        report.put("pixel_auroc", pixelAuroc);
        report.put("pro", pro);
        report.put("pro_max_fpr", PRO_MAX_FPR);
        report.put("test_images", n);
        report.put("test_anomalous", (int) scored.stream().filter(s -> s.item().anomalous()).count());
        report.put("pixel_metric_images", pixelImages);
        report.put("anomalous_without_mask", dataset.withoutMask().size());
        report.put("backbone", backbone.manifest().name());
        report.put("backbone_sha256", backbone.sha256());
        report.put("execution_provider", backbone.provider());
        report.put("features", model.info().features());
        report.put("seed", model.info().seed());
        report.put("preprocessing", model.info().preprocessing());
        report.put("input_size", width + "x" + height);
        report.put("grid_size", model.info().gridWidth() + "x" + model.info().gridHeight());
        report.put("frame_codec", options.frameCodecLabel());
        report.put("dataset", dataset.root().toString());
        report.put("layout", dataset.layout().label());
        report.put("model", options.model() == null ? null : options.model().toString());
        report.put("train_images", trainFrames);
        report.put("fitted_frames", model.info().trainingFrames());
        report.put("fit_seconds", fitSeconds);
        report.put("score_seconds", scoreSeconds);
        report.put("score_images_per_second", n / scoreSeconds);
        report.put("threshold", model.info().threshold());
        report.put("threshold_rule", model.info().threshold().rule());
        report.put("threshold_image_tpr_fpr", thresholdRates(scores, labels, model.info().threshold().threshold()));
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Scored s : scored) {
            Map<String, Object> e = new LinkedHashMap<>();
            if (dataset.layout() == Layout.CLIPS) {
                e.put("clip", s.item().clip());
                e.put("frame", s.item().frame());
            } else {
                e.put("path", dataset.root().relativize(s.item().source()).toString());
                e.put("frame", 0);
            }
            e.put("label", s.item().anomalous() ? 1 : 0);
            e.put("score", (double) s.score());
            entries.add(e);
        }
        report.put("scores", entries);

        Path dir = options.report();
        PrivateFiles.write(dir.resolve("report.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(report));
        Figures.writeRocCurve(dir.resolve("roc.png"), AnomalyMetrics.roc(scores, labels),
                "Image ROC: " + dataset.root().getFileName() + ", " + backbone.manifest().name(), imageAuroc);
        writeOverlays(dir, dataset, model, scored, options.frameCodec());
        PrivateFiles.writeString(dir.resolve("summary.md"), Summary.markdown(report, dataset),
                java.nio.charset.StandardCharsets.UTF_8);
        return report;
    }

    private static Map<String, Double> thresholdRates(double[] scores, boolean[] labels, double threshold) {
        int tp = 0;
        int fp = 0;
        int pos = 0;
        int neg = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean alarm = scores[i] > threshold;
            if (labels[i]) {
                pos++;
                tp += alarm ? 1 : 0;
            } else {
                neg++;
                fp += alarm ? 1 : 0;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("tpr", pos == 0 ? null : (double) tp / pos);
        m.put("fpr", neg == 0 ? null : (double) fp / neg);
        return m;
    }

    /** Overlays of the highest- and lowest-scored test items, frames re-read from their files. */
    private static void writeOverlays(Path dir, Dataset dataset, PadimModel model, List<Scored> scored,
                                      FrameCodec codec) throws IOException {
        // one colour scale for all tiles: from 0 to the highest score shown
        List<Scored> byScore = scored.stream().sorted(Comparator.comparingDouble(Scored::score).reversed()).toList();
        List<Scored> highest = byScore.subList(0, Math.min(OVERLAYS, byScore.size()));
        List<Scored> lowest = byScore.subList(Math.max(0, byScore.size() - OVERLAYS), byScore.size());
        float vmin = 0f;
        float vmax = highest.get(0).score();
        Preprocessing geometry = new Preprocessing(Preprocessing.Mode.parse(model.info().preprocessing()),
                model.info().inputWidth(), model.info().inputHeight());
        writeStrip(dir.resolve("overlays_highest.png"), highest, geometry, vmin, vmax, dataset, codec);
        writeStrip(dir.resolve("overlays_lowest.png"), lowest, geometry, vmin, vmax, dataset, codec);
    }

    private static void writeStrip(Path png, List<Scored> items, Preprocessing geometry, float vmin, float vmax,
                                   Dataset dataset, FrameCodec codec) throws IOException {
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (Scored s : items) {
            // shown as scored: after the codec, then resize or crop
            RgbImage frame = geometry.apply(FrameCodec.roundTrip(codec, readFrame(s.item())));
            boolean[] mask = s.item().mask() == null ? null : s.mask();
            tiles.add(Figures.overlay(frame, s.map(), geometry.width(), geometry.height(), mask, vmin, vmax));
            String where = dataset.layout() == Layout.CLIPS ? s.item().clip() + " #" + s.item().frame()
                    : s.item().clip() + "/" + s.item().source().getFileName();
            captions.add(where + " (" + (s.item().anomalous() ? "anomalous" : "normal") + ") "
                    + String.format("%.2f", s.score()));
        }
        Figures.writeOverlayStrip(png, tiles, captions);
    }

    private static RgbImage readFrame(TestItem item) throws IOException {
        if (!MediaInputs.isVideo(item.source())) {
            return ImageFiles.read(item.source());
        }
        try (VideoFrames frames = VideoFrames.open(item.source().toString())) {
            VideoFrame f;
            while ((f = frames.read()) != null) {
                if (f.index() == item.frame()) {
                    return f.image();
                }
            }
        }
        throw new IOException("frame " + item.frame() + " of " + item.source() + " could not be decoded again");
    }
}
