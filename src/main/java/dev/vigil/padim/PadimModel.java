package dev.vigil.padim;

/**
 * A fitted PaDiM model: its description and the per-position Gaussians; with a motion stream, also the Gaussians of
 * consecutive frames' embedding differences ({@link FrameDifferences}), blended in as {@link ModelInfo#motion} says.
 *
 * @param motion the motion Gaussians, or null for a model without a motion stream
 * @param memory the patch memory, or null for a model without one ({@link ModelInfo#memory} says how it is used)
 * @param motionMemory the motion stream's patch memory (of frame differences), or null for none
 */
public record PadimModel(ModelInfo info, GaussianModel gaussian, GaussianModel motion, PatchMemory memory,
                         PatchMemory motionMemory) implements AutoCloseable {
    public PadimModel {
        if (info.positions() != gaussian.positions() || info.features() != gaussian.features()) {
            throw new IllegalArgumentException("model description (" + info.gridWidth() + "x" + info.gridHeight()
                    + " grid, d=" + info.features() + ") does not match its Gaussians (" + gaussian.positions()
                    + " positions, d=" + gaussian.features() + ")");
        }
        if ((motion == null) != (info.motion() == null)) {
            throw new IllegalArgumentException(motion == null ? "model description has a motion blend but no motion "
                    + "Gaussians" : "model has motion Gaussians but its description no motion blend");
        }
        if (motion != null && (motion.positions() != gaussian.positions() || motion.features() != gaussian.features())) {
            throw new IllegalArgumentException("motion Gaussians (" + motion.positions() + " positions, d="
                    + motion.features() + ") do not match the appearance Gaussians (" + gaussian.positions()
                    + " positions, d=" + gaussian.features() + ")");
        }
        if ((memory == null) != (info.memory() == null)) {
            throw new IllegalArgumentException(memory == null ? "model description has a memory blend but no patch "
                    + "memory" : "model has a patch memory but its description no memory blend");
        }
        if (memory != null && (memory.gridWidth() != info.gridWidth() || memory.gridHeight() != info.gridHeight()
                || memory.features() != info.features() || memory.perRow() != info.memory().patchesPerRow())) {
            throw new IllegalArgumentException("patch memory (" + memory.gridWidth() + "x" + memory.gridHeight()
                    + " grid, d=" + memory.features() + ", " + memory.perRow() + " patches per row) does not match "
                    + "the model description");
        }
        if ((motionMemory == null) != (info.motionMemory() == null)) {
            throw new IllegalArgumentException(motionMemory == null ? "model description has a motion memory blend "
                    + "but no motion memory" : "model has a motion memory but its description no motion memory blend");
        }
        if (motionMemory != null && (motion == null || motionMemory.gridWidth() != info.gridWidth()
                || motionMemory.gridHeight() != info.gridHeight() || motionMemory.features() != info.features()
                || motionMemory.perRow() != info.motionMemory().patchesPerRow())) {
            throw new IllegalArgumentException("motion memory does not match the model (a motion stream, its grid, d "
                    + "and patches per row)");
        }
    }

    /** Without a motion stream's memory. */
    public PadimModel(ModelInfo info, GaussianModel gaussian, GaussianModel motion, PatchMemory memory) {
        this(info, gaussian, motion, memory, null);
    }

    /** Without a patch memory. */
    public PadimModel(ModelInfo info, GaussianModel gaussian, GaussianModel motion) {
        this(info, gaussian, motion, null, null);
    }

    /** Without a motion stream or a patch memory (the paper's). */
    public PadimModel(ModelInfo info, GaussianModel gaussian) {
        this(info, gaussian, null, null, null);
    }

    /** The same Gaussians under another description (a new threshold, provenance, ...). */
    public PadimModel with(ModelInfo newInfo) {
        return new PadimModel(newInfo, gaussian, motion, memory, motionMemory);
    }

    public boolean hasMemory() {
        return memory != null;
    }

    public boolean hasMotion() {
        return motion != null;
    }

    /** Frees both streams' native memory. */
    @Override
    public void close() {
        gaussian.close();
        if (motion != null) {
            motion.close();
        }
    }
}
