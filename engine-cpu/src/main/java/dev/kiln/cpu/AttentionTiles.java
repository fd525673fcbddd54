package dev.kiln.cpu;

/**
 * The two small matrix products of blocked attention, on row-major float tiles on the heap. Every
 * output element is one chain of {@code Math.fma} over the reduction index in increasing order, in
 * both implementations, so its bits depend neither on the implementation, nor on the tile's other
 * rows, nor on the JIT tier (no lane reductions).
 */
interface AttentionTiles {
    /** {@code c[i, j] = sum_e a[i, e] * bt[e, j]}: a [rows, d], bt [d, cols] (B transposed), c [rows, cols]. */
    void productTransposed(float[] a, int rows, float[] bt, int cols, int d, float[] c);

    /** {@code acc[i, e] += sum_j p[i, j] * b[j, e]}: p [rows, cols], b [cols, d], acc [rows, d]. */
    void accumulate(float[] p, int rows, int cols, float[] b, int d, float[] acc);
}
