package dev.vigil.padim;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
        // Cholesky and the triangular solve run in LAPACK/BLAS through ND4J: O(d^3) per position, where
        // d = 550 makes a pure-Java loop minutes long.
        try (INDArray a = Nd4j.create(covariance, new long[]{d, d}, DataType.DOUBLE)) {
            Nd4j.getBlasWrapper().lapack().potrf(a, true);
            double[] l = a.data().asDouble();
            // ND4J hands back the row-major matrix; keep only the lower triangle
            double[] inverse = invertLower(l, d, position);
            float[] packed = new float[PackedTriangle.size(d)];
            for (int i = 0; i < d; i++) {
                int row = PackedTriangle.rowStart(i);
                for (int j = 0; j <= i; j++) {
                    packed[row + j] = (float) inverse[i * d + j];
                }
            }
            return packed;
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException("covariance at patch position " + position
                    + " is not positive definite (Cholesky failed): " + e.getMessage(), e);
        }
    }

    /** Inverse of a lower-triangular matrix by column-oriented forward substitution, in float64. */
    static double[] invertLower(double[] l, int d, int position) {
        double[] inv = new double[d * d];
        for (int i = 0; i < d; i++) {
            double diag = l[i * d + i];
            if (!(diag > 0) || !Double.isFinite(diag)) {
                throw new IllegalStateException("covariance at patch position " + position
                        + " is not positive definite (Cholesky pivot " + i + " = " + diag + ")");
            }
        }
        // row i of L^-1: inv[i][j] = (delta_ij - sum_{k=j}^{i-1} L[i][k] inv[k][j]) / L[i][i]
        for (int i = 0; i < d; i++) {
            double rdiag = 1.0 / l[i * d + i];
            int ri = i * d;
            for (int k = 0; k < i; k++) {
                double lik = l[ri + k];
                if (lik != 0) {
                    int rk = k * d;
                    for (int j = 0; j <= k; j++) {
                        inv[ri + j] -= lik * inv[rk + j];
                    }
                }
            }
            for (int j = 0; j < i; j++) {
                inv[ri + j] *= rdiag;
            }
            inv[ri + i] = rdiag;
        }
        return inv;
    }
}
