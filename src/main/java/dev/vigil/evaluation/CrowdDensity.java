package dev.vigil.evaluation;

import dev.vigil.media.MediaInputs;
import dev.vigil.media.RgbImage;
import dev.vigil.media.SourceFrame;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * How crowded a normal clip is, measured from its pixels alone (no labels, no model), so that the cross-validation can
 * put the densest clips among the left-out ones: crowds of ordinary walkers, at positions the fit rarely saw, are what
 * a per-position Gaussian mistakes for anomalies.
 *
 * <p>Frames are reduced to luma averaged over square blocks (the shorter side to about {@link #SIDE} blocks, which
 * also averages the sensor noise away). The background is each block's median over the clip: people move, so the
 * median is the empty scene wherever the scene is empty more than half the time.
 *
 * @param foreground mean over frames of the fraction of blocks further than {@link #FOREGROUND_LEVELS} grey levels from
 *                   the background: how much of the scene people cover
 * @param motion     mean absolute luma change between consecutive frames, in grey levels: how much moves
 */
record CrowdDensity(String clip, int frames, double foreground, double motion) {
    /** blocks along the shorter side */
    static final int SIDE = 60;
    /** a block this far from the background is covered by something */
    static final int FOREGROUND_LEVELS = 20;

    static CrowdDensity measure(Path clip) {
        List<byte[]> frames = new ArrayList<>();
        Iterator<SourceFrame> it = MediaInputs.frames(List.of(clip));
        while (it.hasNext()) {
            frames.add(luma(it.next().image()));
        }
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("clip " + clip + " decodes to no frames");
        }
        int blocks = frames.get(0).length;
        byte[] background = new byte[blocks];
        int[] column = new int[frames.size()];
        for (int b = 0; b < blocks; b++) {
            for (int f = 0; f < column.length; f++) {
                column[f] = frames.get(f)[b] & 0xff;
            }
            Arrays.sort(column);
            background[b] = (byte) column[column.length / 2];
        }
        double foreground = 0;
        double motion = 0;
        for (int f = 0; f < frames.size(); f++) {
            byte[] frame = frames.get(f);
            int covered = 0;
            long change = 0;
            for (int b = 0; b < blocks; b++) {
                int v = frame[b] & 0xff;
                if (Math.abs(v - (background[b] & 0xff)) > FOREGROUND_LEVELS) {
                    covered++;
                }
                if (f > 0) {
                    change += Math.abs(v - (frames.get(f - 1)[b] & 0xff));
                }
            }
            foreground += (double) covered / blocks;
            motion += f > 0 ? (double) change / blocks : 0;
        }
        return new CrowdDensity(ClipFit.name(clip), frames.size(), foreground / frames.size(),
                frames.size() > 1 ? motion / (frames.size() - 1) : 0);
    }

    /** ITU-R 601 luma averaged over blocks of {@code step x step} pixels (a partial block at an edge is dropped). */
    static byte[] luma(RgbImage image) {
        int step = Math.max(1, Math.min(image.width(), image.height()) / SIDE);
        int w = image.width() / step;
        int h = image.height() / step;
        byte[] out = new byte[w * h];
        byte[] px = image.pixels();
        for (int by = 0; by < h; by++) {
            for (int bx = 0; bx < w; bx++) {
                double sum = 0;
                for (int y = by * step; y < (by + 1) * step; y++) {
                    for (int x = bx * step; x < (bx + 1) * step; x++) {
                        int i = (y * image.width() + x) * 3;
                        sum += 0.299 * (px[i] & 0xff) + 0.587 * (px[i + 1] & 0xff) + 0.114 * (px[i + 2] & 0xff);
                    }
                }
                out[by * w + bx] = (byte) Math.round(sum / (step * step));
            }
        }
        return out;
    }
}
