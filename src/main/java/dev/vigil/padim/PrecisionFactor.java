package dev.vigil.padim;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The precision matrix as a triangular factor: with the Cholesky factorisation {@code cov = L L^T},
 * {@code cov^-1 = L^-T L^-1}, so {@code (x - mu)^T cov^-1 (x - mu) = |L^-1 (x - mu)|^2}. Storing {@code W = L^-1}
 * (lower triangular, packed) makes a Mahalanobis distance one triangular matrix-vector product, with half the
 * memory of the full precision matrix and better conditioning than inverting cov directly.
 */
public final class PrecisionFactor {
    private PrecisionFactor() {
    }

    /**
     * @param covariance full symmetric positive-definite d x d matrix, row-major (only the lower triangle is read)
     * @param position   the patch position, for error messages
     * @return {@code L^-1} packed row by row, float32
     */
    public static float[] fromCovariance(double[] covariance, int d, int position) {
        // Cholesky and triangular inverse in LAPACK, in place in a per-thread buffer. The row-major lower triangle
        // is the column-major upper one, so LAPACK needs no transpose. (ND4J's INDArray potrf was measured 4 to 12
        // times slower per position, its per-call overhead dominating at these sizes.)
        Blas.init();
        DoublePointer a = Scratch.doubles((long) d * d);
        a.put(covariance, 0, d * d);
        int info = openblas.LAPACKE_dpotrf_work(openblas.LAPACK_COL_MAJOR, (byte) 'U', d, a, d);
        if (info > 0) {
            throw new IllegalStateException("covariance at patch position " + position
                    + " is not positive definite (Cholesky failed at pivot " + info + ")");
        }
        info = openblas.LAPACKE_dtrtri_work(openblas.LAPACK_COL_MAJOR, (byte) 'U', (byte) 'N', d, a, d);
        if (info != 0) {
            throw new IllegalStateException("covariance at patch position " + position
                    + " is singular (triangular inverse failed at " + info + ")");
        }
        double[] inverse = new double[d * d];
        a.get(inverse);
        float[] packed = new float[PackedTriangle.size(d)];
        for (int i = 0; i < d; i++) {
            int row = PackedTriangle.rowStart(i);
            for (int j = 0; j <= i; j++) {
                packed[row + j] = (float) inverse[i * d + j];
            }
        }
        return packed;
    }
}
