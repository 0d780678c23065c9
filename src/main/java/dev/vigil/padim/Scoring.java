package dev.vigil.padim;

/**
 * How a model to be fitted will be fitted and score frames: its frame score, the motion stream's weight in the blend
 * (0: none, the appearance alone), and the spatial pooling of its Gaussians. The paper's PaDiM is {@link #PLAIN};
 * {@code eval --variants} and {@code eval --cross-validate} compare the choices.
 *
 * @param frameScore   how the frame score is taken from the patch distances
 * @param motionWeight w of {@link FrameDifferences#blend}, or 0 for no motion stream
 * @param pooling      how each position's Gaussian borrows its neighbours' statistics ({@link SpatialPooling#NONE}:
 *                     not at all, the paper's)
 * @param memory       the patch memory to fit and how it is asked ({@link PatchMemory}), or null for none (the
 *                     paper's)
 */
public record Scoring(FrameScore frameScore, double motionWeight, SpatialPooling pooling, Memory memory) {
    /**
     * A patch memory's setting: its row band and its gate.
     *
     * @param radius       R: a patch in grid row y is compared with the memories of rows y-R..y+R
     * @param gateQuantile Q: only patches whose appearance distance is above the held-back frames' Q-quantile are
     *                     compared ({@link MemoryBlend#gate}); 0 compares every patch
     * @param motion       whether the motion stream gets a memory too: of consecutive frames' embedding differences,
     *                     so that ordinary movement is forgiven where the training footage rarely showed any (the
     *                     same row band and gate quantile, on the motion distances)
     */
    public record Memory(int radius, double gateQuantile, boolean motion) {
        /** Of the appearance alone. */
        public Memory(int radius, double gateQuantile) {
            this(radius, gateQuantile, false);
        }

        public Memory {
            if (radius < 0 || radius > MemoryBlend.MAX_RADIUS) {
                throw new IllegalArgumentException("the memory's row band half-width R must be from 0 to "
                        + MemoryBlend.MAX_RADIUS + ", got " + radius);
            }
            if (!(gateQuantile >= 0 && gateQuantile < 1)) {
                throw new IllegalArgumentException("the memory's gate quantile must be in [0, 1), got "
                        + gateQuantile);
            }
        }
    }

    public static final Scoring PLAIN = new Scoring(FrameScore.MAX, 0);
    /** The patch memory's gate quantile unless another is given; see docs/results.md. */
    public static final double DEFAULT_GATE = 0.98;
    /**
     * The default for video (clips, cameras): the motion stream with weight 3, the patch memory of rows y-1..y+1
     * asked above its gate, each frame scored by its top 2 % of patches. Chosen on the cross-validation of
     * docs/results.md ("Settings chosen on unseen footage"); still images keep the paper's {@link #PLAIN}, which has
     * no motion to blend and no crowds to forgive.
     */
    public static final Scoring VIDEO = new Scoring(new FrameScore(0.02), 3, SpatialPooling.NONE,
            new Memory(1, DEFAULT_GATE));

    public Scoring {
        if (frameScore == null) {
            frameScore = FrameScore.MAX;
        }
        if (pooling == null) {
            pooling = SpatialPooling.NONE;
        }
        if (!(motionWeight >= 0) || Double.isInfinite(motionWeight)) {
            throw new IllegalArgumentException("motion weight must be 0 (none) or positive, got " + motionWeight);
        }
    }

    /** Without spatial pooling. */
    public Scoring(FrameScore frameScore, double motionWeight) {
        this(frameScore, motionWeight, SpatialPooling.NONE);
    }

    /** Without a patch memory. */
    public Scoring(FrameScore frameScore, double motionWeight, SpatialPooling pooling) {
        this(frameScore, motionWeight, pooling, null);
    }

    public static Scoring of(FrameScore frameScore) {
        return new Scoring(frameScore, 0);
    }

    /** The same without a motion stream. */
    public Scoring withoutMotion() {
        return new Scoring(frameScore, 0, pooling, memory);
    }

    /** The same without a patch memory. */
    public Scoring withoutMemory() {
        return new Scoring(frameScore, motionWeight, pooling, null);
    }

    public boolean usesMotion() {
        return motionWeight > 0;
    }

    public boolean usesMemory() {
        return memory != null;
    }
}
