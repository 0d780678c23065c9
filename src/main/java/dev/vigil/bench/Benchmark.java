package dev.vigil.bench;

import dev.vigil.backbone.OnnxBackbone;
import dev.vigil.backbone.Preprocessing;
import dev.vigil.engine.Detector;
import dev.vigil.engine.FeatureExtractor;
import dev.vigil.engine.FitStage;
import dev.vigil.engine.Pipeline;
import dev.vigil.media.SyntheticScene;
import dev.vigil.padim.ChannelSelection;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.FrameDifferences;
import dev.vigil.padim.GaussianAccumulator;
import dev.vigil.padim.GaussianSums;
import dev.vigil.padim.GaussianModel;
import dev.vigil.padim.ModelInfo;
import dev.vigil.padim.MemoryBlend;
import dev.vigil.padim.MotionBlend;
import dev.vigil.padim.PadimModel;
import dev.vigil.padim.PatchDistances;
import dev.vigil.padim.PatchMemory;
import dev.vigil.padim.Scoring;
import dev.vigil.padim.ThresholdStats;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Throughput of the backbone alone, of fitting and of scoring, measured in one run on one input so their ratios
 * hold on any machine. The three are measured back to back in each of several rounds; a ratio is taken within each
 * round and the median over rounds reported, so a slow spell of a shared machine, which may last a whole
 * measurement, moves a round's three figures together rather than one ratio.
 */
public final class Benchmark {
    /**
     * @param batches batches per measurement
     * @param rounds  interleaved rounds of the three measurements
     * @param motionWeight above 0: a fourth measurement in each round, the scoring pipeline of a model with a motion
     *                     stream blended at this weight (issue 7), the synthetic frames taken as consecutive
     * @param memory       not null: two more measurements in each round, the pipeline of that model with a patch
     *                     memory of this setting (the video default's), asked only above its gate, and asked about
     *                     every patch (a crowd: the most it can cost)
     */
    public record Options(Preprocessing preprocessing, int features, int batch, int batches, int rounds, long seed,
                          double motionWeight, Scoring.Memory memory) {
        /** Without the motion stream's and the memory's measurements. */
        public Options(Preprocessing preprocessing, int features, int batch, int batches, int rounds, long seed) {
            this(preprocessing, features, batch, batches, rounds, seed, 0, null);
        }
    }

    private Benchmark() {
    }

    public static Map<String, Object> run(OnnxBackbone backbone, Options o) {
        Preprocessing pre = o.preprocessing();
        int[] channels = ChannelSelection.random(backbone.manifest().totalChannels(), o.features(), o.seed());
        FeatureExtractor extractor = new FeatureExtractor(backbone, pre, channels);
        float[] tensor = tensor(extractor, o.batch());
        int b = o.batch();
        int w = pre.width();
        int h = pre.height();

        // warm-up: JIT, ONNX Runtime's first-run allocations; the fit's accumulator gets a model to score with
        backbone.run(tensor, b, h, w);
        GaussianAccumulator fitted = new GaussianAccumulator(extractor.embeddings().positions(), o.features());
        fitted.add(extractor.embedTensor(tensor, b), b);
        long finishStart = System.nanoTime();
        GaussianModel gaussian = fitted.finish(0.01, true);
        double finishSeconds = (System.nanoTime() - finishStart) / 1e9;
        var e = extractor.embeddings();
        ModelInfo info = new ModelInfo(
                new ModelInfo.Backbone(backbone.manifest().name(), backbone.sha256(),
                        backbone.manifest().outputs().stream().mapToInt(x -> x.channels()).toArray(),
                        pre.mode().label(), w, h),
                new ModelInfo.Embedding(e.gridWidth(), e.gridHeight(), channels, o.seed()),
                new ModelInfo.Fit(0.01, b), ThresholdStats.none(), ModelInfo.FrameScoring.PLAIN,
                new ModelInfo.Origin(Instant.now(), "bench", null));
        // with a motion stream: its Gaussians fitted on the differences of the same frames (speed does not depend
        // on what was learnt), and the same appearance Gaussians
        PadimModel motionModel = null;
        if (o.motionWeight() > 0) {
            FrameDifferences differences = new FrameDifferences(e.positions(), o.features());
            boolean[] valid = new boolean[b];
            EmbeddingBatch pairs = differences.next(extractor.embedTensor(tensor, b), 0, b, valid).images(valid, b);
            GaussianAccumulator motionFit = new GaussianAccumulator(e.positions(), o.features());
            motionFit.add(pairs, pairs.batch());
            motionModel = new PadimModel(info.withMotion(new MotionBlend(o.motionWeight(), 1, 1, motionFit.count())),
                    gaussian, motionFit.finish(0.01, true));
        }
        // with a patch memory: a coreset of the same frames' patches, its gate the quantile of their own appearance
        // distances, on the motion model when there is one (the video default)
        PadimModel memoryModel = null;
        if (o.memory() != null) {
            PadimModel base = motionModel != null ? motionModel : new PadimModel(info, gaussian);
            EmbeddingBatch frames = extractor.embedTensor(tensor, b);
            PatchMemory.Sampler sampler = new PatchMemory.Sampler(e.gridWidth(), e.gridHeight(), o.features(),
                    PatchMemory.POOL_PER_ROW, o.seed());
            for (int i = 0; i < b; i++) {
                sampler.add(frames, i);
            }
            PatchMemory memory = sampler.coreset(PatchMemory.PER_ROW);
            PatchDistances own = new PatchDistances(b, e.positions(), gaussian.mahalanobis(frames, 0, b), null, null);
            extractor.recycle(frames);
            memoryModel = new PadimModel(base.info().withMemory(new MemoryBlend(o.memory().radius(),
                    o.memory().gateQuantile(), own.appearanceQuantile(o.memory().gateQuantile()), 1, 1,
                    memory.perRow())), gaussian, base.motion(), memory);
        }
        double[] backboneRate = new double[o.rounds()];
        double[] pipelineRate = new double[o.rounds()];
        double[] motionRate = new double[o.rounds()];
        double[] memoryRate = new double[o.rounds()];
        double[] everyPatchRate = new double[o.rounds()];
        double[] fitRate = new double[o.rounds()];
        long fitPeakHeap = 0;
        int fitGroup = 1;
        try (Detector detector = new Detector(backbone, new PadimModel(info, gaussian))) {
            detector.score(extractor.embedTensor(tensor, b));
            for (int r = 0; r < o.rounds(); r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < o.batches(); i++) {
                    backbone.run(tensor, b, h, w);
                }
                backboneRate[r] = rate(o, t0);

                GaussianSums acc = GaussianSums.forPlanes(e);
                resetPeaks();
                t0 = System.nanoTime();
                FitStage stage = new FitStage(acc, extractor, b);
                fitGroup = stage.group();
                Pipeline.run(IntStream.range(0, o.batches()).iterator(), i -> extractor.embedPlanes(tensor, b), stage);
                stage.flush();
                fitRate[r] = rate(o, t0);
                fitPeakHeap = Math.max(fitPeakHeap, heapPeak());

                pipelineRate[r] = pipelineRate(o, extractor, tensor, detector);
                if (motionModel != null) {
                    try (Detector motion = new Detector(backbone, motionModel)) {
                        motionRate[r] = pipelineRate(o, extractor, tensor, motion);
                    }
                }
                if (memoryModel != null) {
                    try (Detector memory = new Detector(extractor, memoryModel);
                         Detector every = new Detector(extractor, memoryModel, true)) {
                        memoryRate[r] = pipelineRate(o, extractor, tensor, memory);
                        everyPatchRate[r] = pipelineRate(o, extractor, tensor, every);
                    }
                }
            }
        }
        gaussian.close();
        if (motionModel != null) {
            motionModel.motion().close();
        }
        double backboneIps = median(backboneRate);
        double pipelineIps = median(pipelineRate);
        double fitIps = median(fitRate);
        double[] pipelineRatio = new double[o.rounds()];
        double[] fitRatio = new double[o.rounds()];
        for (int r = 0; r < o.rounds(); r++) {
            pipelineRatio[r] = pipelineRate[r] / backboneRate[r];
            fitRatio[r] = fitRate[r] / backboneRate[r];
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backbone", backbone.manifest().name());
        out.put("execution_provider", backbone.provider());
        out.put("input_size", w + "x" + h);
        out.put("preprocessing", pre.mode().label());
        out.put("features", o.features());
        out.put("grid_size", e.gridWidth() + "x" + e.gridHeight());
        out.put("batch", b);
        out.put("batches_per_round", o.batches());
        out.put("rounds", o.rounds());
        out.put("backbone_images_per_second", backboneIps);
        out.put("pipeline_images_per_second", pipelineIps);
        out.put("fit_images_per_second", fitIps);
        // medians of the per-round ratios
        out.put("pipeline_to_backbone", median(pipelineRatio));
        out.put("fit_to_backbone", median(fitRatio));
        out.put("rounds_pipeline_to_backbone", pipelineRatio);
        out.put("rounds_fit_to_backbone", fitRatio);
        out.put("rounds_backbone_images_per_second", backboneRate);
        out.put("rounds_pipeline_images_per_second", pipelineRate);
        out.put("rounds_fit_images_per_second", fitRate);
        if (motionModel != null) {
            double[] motionRatio = new double[o.rounds()];
            for (int r = 0; r < o.rounds(); r++) {
                motionRatio[r] = motionRate[r] / pipelineRate[r];
            }
            out.put("motion_weight", o.motionWeight());
            out.put("motion_pipeline_images_per_second", median(motionRate));
            // what issue 7 asks: the pipeline with the motion stream against the plain one, within each round
            out.put("motion_to_plain_pipeline", median(motionRatio));
            out.put("rounds_motion_to_plain_pipeline", motionRatio);
            out.put("rounds_motion_pipeline_images_per_second", motionRate);
        }
        if (memoryModel != null) {
            double[] memoryRatio = new double[o.rounds()];
            double[] everyRatio = new double[o.rounds()];
            for (int r = 0; r < o.rounds(); r++) {
                memoryRatio[r] = memoryRate[r] / pipelineRate[r];
                everyRatio[r] = everyPatchRate[r] / pipelineRate[r];
            }
            out.put("memory_radius", o.memory().radius());
            out.put("memory_gate_quantile", o.memory().gateQuantile());
            out.put("memory_patches", memoryModel.memory().size());
            out.put("memory_pipeline_images_per_second", median(memoryRate));
            // what issue 16 asks: the default video pipeline (motion stream and memory) against the plain one
            out.put("memory_to_plain_pipeline", median(memoryRatio));
            out.put("rounds_memory_to_plain_pipeline", memoryRatio);
            out.put("every_patch_memory_pipeline_images_per_second", median(everyPatchRate));
            out.put("every_patch_memory_to_plain_pipeline", median(everyRatio));
            out.put("rounds_every_patch_memory_to_plain_pipeline", everyRatio);
        }
        out.put("fit_batches_per_merge", fitGroup);
        out.put("fit_finish_seconds", finishSeconds);
        out.put("fit_peak_heap_bytes", fitPeakHeap);
        out.put("model_bytes", gaussian.bytes());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        out.put("measured_at", Instant.now().toString());
        return out;
    }

    /** The scoring pipeline's images per second: backbone and embedding overlapped with the detector's scoring. */
    private static double pipelineRate(Options o, FeatureExtractor extractor, float[] tensor, Detector detector) {
        long t0 = System.nanoTime();
        Pipeline.run(IntStream.range(0, o.batches()).iterator(), i -> extractor.embedTensor(tensor, o.batch()),
                (EmbeddingBatch batch) -> {
                    detector.score(batch);
                    extractor.recycle(batch);
                });
        return rate(o, t0);
    }

    /**
     * The backbone figure alone (the {@code backbone_images_per_second} of {@link #run}, one round, after one warm-up
     * batch): what other measurements interleave with theirs to take a ratio within a round.
     */
    public static double backboneImagesPerSecond(OnnxBackbone backbone, Options o) {
        int[] channels = ChannelSelection.random(backbone.manifest().totalChannels(), o.features(), o.seed());
        FeatureExtractor extractor = new FeatureExtractor(backbone, o.preprocessing(), channels);
        float[] tensor = tensor(extractor, o.batch());
        int w = o.preprocessing().width();
        int h = o.preprocessing().height();
        backbone.run(tensor, o.batch(), h, w);
        long t0 = System.nanoTime();
        for (int i = 0; i < o.batches(); i++) {
            backbone.run(tensor, o.batch(), h, w);
        }
        return rate(o, t0);
    }

    private static double rate(Options o, long start) {
        return (double) o.batches() * o.batch() / ((System.nanoTime() - start) / 1e9);
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peaks: an upper bound of the heap's peak. */
    static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** A batch of synthetic scene frames, preprocessed and normalised: real image statistics, no dataset needed. */
    private static float[] tensor(FeatureExtractor extractor, int batch) {
        Preprocessing pre = extractor.preprocessing();
        SyntheticScene scene = new SyntheticScene(pre.width(), pre.height(), 7, -1, -1);
        float[] tensor = new float[batch * 3 * pre.width() * pre.height()];
        for (int i = 0; i < batch; i++) {
            extractor.input().write(extractor.prepare(scene.frame(i)), tensor, i);
        }
        return tensor;
    }
}
