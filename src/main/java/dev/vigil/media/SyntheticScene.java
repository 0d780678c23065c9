package dev.vigil.media;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A deterministic, surveillance-like test scene: a static paved walkway with a strip of grass, a few small
 * "pedestrians" drifting slowly across it (the normal traffic), per-frame sensor noise, and optionally an anomaly: a
 * large bright "vehicle" crossing the scene from left to right during frames {@code [anomalyStart, anomalyEnd)}.
 *
 * <p>Used to generate the demo's sample stream instead of shipping dataset footage. Frame {@code i} depends only on
 * the constructor arguments and {@code i} (every frame can be rendered on its own, in any order), and the same seed
 * gives the same pixels on every JVM, since {@link Random}'s sequence is specified.
 */
public final class SyntheticScene {
    private static final int PEDESTRIANS = 4;

    private final int width;
    private final int height;
    private final long seed;
    private final int anomalyStart;
    private final int anomalyEnd;
    private final byte[] background;
    private final double[][] walkers; // per pedestrian: x0, y0, vx, vy, shade

    /**
     * @param anomalyStart first frame showing the vehicle
     * @param anomalyEnd frame after the last one showing it; {@code anomalyEnd <= anomalyStart} means no anomaly
     */
    public SyntheticScene(int width, int height, long seed, int anomalyStart, int anomalyEnd) {
        if (width < 16 || height < 16) {
            throw new IllegalArgumentException("scene must be at least 16x16, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
        this.seed = seed;
        this.anomalyStart = anomalyStart;
        this.anomalyEnd = anomalyEnd;
        Random random = new Random(seed);
        this.background = background(width, height, random);
        this.walkers = new double[PEDESTRIANS][];
        for (int p = 0; p < PEDESTRIANS; p++) {
            double speed = 0.5 + random.nextDouble();         // px per frame: slow, like people far away
            boolean vertical = random.nextBoolean();
            double direction = random.nextBoolean() ? 1 : -1;
            walkers[p] = new double[] {
                random.nextDouble() * width, height * 0.25 + random.nextDouble() * height * 0.75,
                vertical ? 0 : speed * direction, vertical ? speed * direction : 0,
                20 + random.nextInt(50),
            };
        }
    }

    /** Renders {@code frames} frames of a scene; see {@link #SyntheticScene}. */
    public static List<RgbImage> generate(int width, int height, int frames, long seed, int anomalyStart,
            int anomalyEnd) {
        SyntheticScene scene = new SyntheticScene(width, height, seed, anomalyStart, anomalyEnd);
        List<RgbImage> out = new ArrayList<>(frames);
        for (int i = 0; i < frames; i++) {
            out.add(scene.frame(i));
        }
        return out;
    }

    /** Whether frame {@code index} shows the anomaly. */
    public boolean isAnomalous(int index) {
        return index >= anomalyStart && index < anomalyEnd;
    }

    /** Frame {@code index} as {@code [height][width][3]} RGB. */
    public RgbImage frame(int index) {
        byte[] px = background.clone();
        int pw = Math.max(2, width / 40);
        int ph = Math.max(4, height / 12);
        for (double[] w : walkers) {
            int x = (int) Math.floorMod((long) Math.floor(w[0] + w[2] * index), (long) width);
            int top = (int) (height * 0.25);
            int y = top + (int) Math.floorMod((long) Math.floor(w[1] - top + w[3] * index), (long) (height - top));
            int shade = (int) w[4];
            fill(px, x, y, pw, ph, shade, shade, shade + 10);        // body
            fill(px, x, y - ph / 4, pw, ph / 4, 200, 160, 130);       // head
        }
        if (isAnomalous(index)) {
            int[] box = vehicle(index);
            fill(px, box[0], box[1], box[2], box[3], 245, 225, 70);
            fill(px, box[0] + box[2] / 8, box[1] + box[3] / 5, box[2] / 3, box[3] / 3, 90, 120, 160); // window
        }
        Random noise = new Random(seed * 0x9E3779B97F4A7C15L + index);
        for (int i = 0; i < px.length; i++) {
            int v = (px[i] & 0xff) + noise.nextInt(7) - 3;
            px[i] = (byte) Math.max(0, Math.min(255, v));
        }
        return new RgbImage(width, height, px);
    }

    /** The pixels the vehicle covers in frame {@code index}, {@code [height * width]}; all false outside the anomaly. */
    public boolean[] anomalyMask(int index) {
        boolean[] mask = new boolean[width * height];
        if (!isAnomalous(index)) {
            return mask;
        }
        int[] b = vehicle(index);
        for (int y = Math.max(0, b[1]); y < Math.min(height, b[1] + b[3]); y++) {
            for (int x = Math.max(0, b[0]); x < Math.min(width, b[0] + b[2]); x++) {
                mask[y * width + x] = true;
            }
        }
        return mask;
    }

    /** The vehicle's box {x, y, w, h}: it enters at the left edge on the first anomalous frame, leaves at the right. */
    private int[] vehicle(int index) {
        int w = width / 4;
        int h = height / 5;
        int span = Math.max(1, anomalyEnd - anomalyStart - 1);
        double t = (index - anomalyStart) / (double) span;
        int x = (int) Math.round(-w * 0.5 + t * (width - w * 0.5));
        return new int[] {x, height / 2, w, h};
    }

    private static byte[] background(int width, int height, Random random) {
        byte[] px = new byte[width * height * 3];
        int grass = height / 5;
        int tile = Math.max(8, width / 15);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                int grain = random.nextInt(17) - 8; // fixed texture, the same in every frame
                double light = 0.85 + 0.3 * x / width; // sun from the right
                int r;
                int g;
                int b;
                if (y < grass) {
                    r = 60;
                    g = 110;
                    b = 50;
                } else {
                    boolean seam = x % tile == 0 || (y - grass) % tile == 0;
                    int base = seam ? 95 : 135 + ((x / tile + (y - grass) / tile) % 3) * 8;
                    r = base;
                    g = base;
                    b = base + 5;
                }
                px[i] = clip((r + grain) * light);
                px[i + 1] = clip((g + grain) * light);
                px[i + 2] = clip((b + grain) * light);
            }
        }
        return px;
    }

    private void fill(byte[] px, int x0, int y0, int w, int h, int r, int g, int b) {
        for (int y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
            for (int x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) {
                int i = (y * width + x) * 3;
                px[i] = (byte) r;
                px[i + 1] = (byte) g;
                px[i + 2] = (byte) b;
            }
        }
    }

    private static byte clip(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }
}
