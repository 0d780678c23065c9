package dev.vigil.padim;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Per-thread scratch for the BLAS kernels, native and heap, grown on demand and kept: allocating per task costs more
 * than the kernels themselves at small d (JavaCPP checks the process's memory on every native allocation, and
 * large heap arrays per batch keep the collector busy).
 */
final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private final FloatPointer[] floats = new FloatPointer[6];
    private final float[][] arrays = new float[4][];
    private DoublePointer doubles;

    private Scratch() {
    }

    /** Native float buffer {@code slot} (0..2 the kernels, 3..5 the anomaly maps) of this thread, room for at least {@code size} values, at position 0. */
    static FloatPointer floats(int slot, long size) {
        Scratch s = LOCAL.get();
        FloatPointer p = s.floats[slot];
        if (p == null || p.capacity() < size) {
            if (p != null) {
                p.close();
            }
            p = new FloatPointer(size);
            s.floats[slot] = p;
        }
        return p.position(0);
    }

    /** Native double buffer of this thread, room for at least {@code size} values, at position 0. */
    static DoublePointer doubles(long size) {
        Scratch s = LOCAL.get();
        if (s.doubles == null || s.doubles.capacity() < size) {
            if (s.doubles != null) {
                s.doubles.close();
            }
            s.doubles = new DoublePointer(size);
        }
        return s.doubles.position(0);
    }

    /** Heap float array {@code slot} (0..3; the kernels use 0 and 1, embedding extraction 2 and 3) of this thread, at least {@code size} long (contents undefined). */
    static float[] array(int slot, int size) {
        Scratch s = LOCAL.get();
        float[] a = s.arrays[slot];
        if (a == null || a.length < size) {
            a = new float[size];
            s.arrays[slot] = a;
        }
        return a;
    }
}
