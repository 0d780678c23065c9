package dev.vigil.padim;

/** A fitted PaDiM model: its description and the per-position Gaussians. */
public record PadimModel(ModelInfo info, GaussianModel gaussian) {
    public PadimModel {
        if (info.positions() != gaussian.positions() || info.features() != gaussian.features()) {
            throw new IllegalArgumentException("model description (" + info.gridWidth() + "x" + info.gridHeight()
                    + " grid, d=" + info.features() + ") does not match its Gaussians (" + gaussian.positions()
                    + " positions, d=" + gaussian.features() + ")");
        }
    }
}
