package dev.vigil.padim;

/**
 * Indexing of a lower-triangular d x d matrix packed row by row: row i holds columns 0..i, starting at i(i+1)/2.
 * Halves the memory of covariances and precision factors (d = 550: 151,525 instead of 302,500 values).
 */
public final class PackedTriangle {
    private PackedTriangle() {
    }

    public static int size(int d) {
        return d * (d + 1) / 2;
    }

    public static int rowStart(int i) {
        return i * (i + 1) / 2;
    }

    public static int index(int i, int j) {
        return i >= j ? rowStart(i) + j : rowStart(j) + i;
    }
}
