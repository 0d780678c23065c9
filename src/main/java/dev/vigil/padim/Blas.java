package dev.vigil.padim;

import org.bytedeco.openblas.global.openblas;

/**
 * The OpenBLAS that ND4J's native backend ships, called directly for the per-position kernels: thousands of small
 * products per batch, where an INDArray per call would cost more than the arithmetic. Single-threaded per call;
 * the callers split positions across cores.
 */
final class Blas {
    static {
        openblas.blas_set_num_threads(1);
    }

    private Blas() {
    }

    /** Forces the static set-up (OpenBLAS loaded, one thread per call). */
    static void init() {
        // class initialisation does the work
    }
}
