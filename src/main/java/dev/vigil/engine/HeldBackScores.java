package dev.vigil.engine;

import dev.vigil.padim.AnomalyMapOperator;
import dev.vigil.padim.EmbeddingBatch;
import dev.vigil.padim.FrameDifferences;
import dev.vigil.padim.FrameScore;
import dev.vigil.padim.MotionBlend;
import dev.vigil.padim.PadimModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The held-back normal frames of a fit with a motion stream, scored: first both streams' patch distances, whose means
 * are the blend's scales (so that neither stream dominates by its units), then each frame's score on the blend, which
 * the threshold is learnt on. The same computation as {@code eval --variants}; a model without a motion stream needs
 * none of it ({@link Detector} scores its held-back frames).
 */
public final class HeldBackScores {
    /**
     * @param scores the held-back frames' scores on the blend (reference frames left out)
     * @param motion the blend, with its scales
     */
    public record Result(double[] scores, MotionBlend motion) {
    }

    private HeldBackScores() {
    }

    /**
     * @param model  the fitted appearance and motion Gaussians (the blend's scales in it are not used)
     * @param weight the motion stream's weight
     * @param pairs  consecutive pairs the motion Gaussians were fitted on, recorded in the blend
     * @param frames the held-back frames in order, each block of them led by a reference frame, its predecessor
     * @param prepared whether the frames are at the input size already ({@link FeatureExtractor#prepare}: a crop
     *                 must not be cropped again)
     * @throws IllegalArgumentException when no held-back frame has a predecessor: the motion scale is then unknown
     */
    public static Result score(FeatureExtractor extractor, PadimModel model, double weight, long pairs,
                               Iterator<SequenceFrame> frames, boolean prepared, int batchSize) {
        int positions = model.gaussian().positions();
        FrameDifferences differences = new FrameDifferences(positions, model.gaussian().features());
        // held-back frames are at most a few hundred: their distance grids are a few MB
        List<float[]> appearance = new ArrayList<>();
        List<float[]> motion = new ArrayList<>();
        double sumA = 0;
        double sumM = 0;
        long countM = 0;
        Batches<SequenceFrame> batches = new Batches<>(frames, batchSize);
        while (batches.hasNext()) {
            List<SequenceFrame> part = batches.next();
            int k = part.size();
            List<dev.vigil.media.RgbImage> images = new ArrayList<>(k);
            boolean[] follows = new boolean[k];
            for (int i = 0; i < k; i++) {
                images.add(prepared ? part.get(i).image() : extractor.prepare(part.get(i).image()));
                follows[i] = part.get(i).follows();
            }
            EmbeddingBatch batch = extractor.embed(images);
            float[] a = model.gaussian().mahalanobis(batch, k);
            boolean[] valid = new boolean[k];
            float[] m = model.motion().mahalanobis(differences.next(batch, 0, k, follows, valid), k);
            extractor.recycle(batch);
            for (int i = 0; i < k; i++) {
                if (part.get(i).reference()) {
                    continue;
                }
                float[] ai = Arrays.copyOfRange(a, i * positions, (i + 1) * positions);
                appearance.add(ai);
                for (float v : ai) {
                    sumA += v;
                }
                if (valid[i]) {
                    float[] mi = Arrays.copyOfRange(m, i * positions, (i + 1) * positions);
                    motion.add(mi);
                    for (float v : mi) {
                        sumM += v;
                    }
                    countM += positions;
                } else {
                    motion.add(null);
                }
            }
        }
        if (countM == 0) {
            throw new IllegalArgumentException("none of the " + appearance.size() + " held-back frames follows "
                    + "another frame: the motion stream's scale cannot be learnt (it needs consecutive frames)");
        }
        MotionBlend blend = new MotionBlend(weight, sumA / ((double) appearance.size() * positions), sumM / countM,
                pairs);
        FrameScore frameScore = model.info().frameScore();
        double[] scores = new double[appearance.size()];
        var info = model.info();
        try (AnomalyMapOperator maps = AnomalyMapOperator.standard(info.gridHeight(), info.gridWidth(),
                info.inputHeight(), info.inputWidth())) {
            for (int i = 0; i < scores.length; i++) {
                boolean[] valid = {motion.get(i) != null};
                float[] grid = blend.blend(appearance.get(i), valid[0] ? motion.get(i) : appearance.get(i), valid, 1,
                        positions);
                scores[i] = frameScore.score(grid, 0, positions, frameScore.isMax() ? maps.apply(grid, 1)[0] : null);
            }
        }
        return new Result(scores, blend);
    }
}
