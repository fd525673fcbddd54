package dev.kiln.cpu;

/**
 * The small matrix products of blocked attention, on row-major float tiles on the heap. Every
 * output element is one chain of {@code Math.fma} over the reduction index in increasing order, in
 * both implementations, so its bits depend neither on the implementation, nor on the tile's other
 * rows, nor on the JIT tier (no lane reductions).
 */
interface AttentionTiles {
    /**
     * {@code c[i, j] = (accumulate ? c[i, j] : 0) + sum_e a[i, e] * b[e, j]}: a [rows, k], b [k, n],
     * c [rows, n], the sum one FMA chain in increasing e.
     */
    void multiply(float[] a, int rows, int k, float[] b, int n, float[] c, boolean accumulate);

    /** {@code c[i, j] = sum_e a[i, e] * bt[e, j]}: a [rows, d], bt [d, cols] (B transposed), c [rows, cols]. */
    default void productTransposed(float[] a, int rows, float[] bt, int cols, int d, float[] c) {
        multiply(a, rows, d, bt, cols, c, false);
    }

    /** {@code acc[i, e] += sum_j p[i, j] * b[j, e]}: p [rows, cols], b [cols, d], acc [rows, d]. */
    default void accumulate(float[] p, int rows, int cols, float[] b, int d, float[] acc) {
        multiply(p, rows, cols, b, d, acc, true);
    }
}
