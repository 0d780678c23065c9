package dev.vigil.padim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The fixed random subset of embedding channels PaDiM keeps (paper section 3.2: random dimensionality reduction).
 * The indices are saved in the model, so a model scores with exactly the channels it was fitted on.
 */
public final class ChannelSelection {
    private ChannelSelection() {
    }

    /**
     * Picks {@code features} distinct indices out of {@code totalChannels}, reproducibly for a seed, sorted ascending
     * (the order does not change a Mahalanobis distance; ascending order reads the layers sequentially).
     */
    public static int[] random(int totalChannels, int features, long seed) {
        if (features <= 0 || features > totalChannels) {
            throw new IllegalArgumentException("features must be in 1.." + totalChannels + ", got " + features);
        }
        int[] all = new int[totalChannels];
        for (int i = 0; i < totalChannels; i++) {
            all[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        // partial Fisher-Yates: the first `features` slots become a uniform random subset
        for (int i = 0; i < features; i++) {
            int j = i + random.nextInt(totalChannels - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = Arrays.copyOf(all, features);
        Arrays.sort(chosen);
        return chosen;
    }
}
