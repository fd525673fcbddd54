package dev.kiln.cpu;

/** {@link AttentionTiles} in plain Java, for when the Vector API is absent; the same bits as the vector one. */
final class ScalarAttentionTiles implements AttentionTiles {
    static final ScalarAttentionTiles INSTANCE = new ScalarAttentionTiles();

    private ScalarAttentionTiles() {}

    @Override
    public void productTransposed(float[] a, int rows, float[] bt, int cols, int d, float[] c) {
        for (int i = 0; i < rows; i++) productTransposedTail(a, i, bt, cols, d, c, 0);
    }

    /** Columns {@code from..cols} of row i (shared with the vector kernel for its tail). */
    static void productTransposedTail(float[] a, int i, float[] bt, int cols, int d, float[] c, int from) {
        for (int j = from; j < cols; j++) {
            float acc = 0;
            for (int e = 0; e < d; e++) acc = Math.fma(a[i * d + e], bt[e * cols + j], acc);
            c[i * cols + j] = acc;
        }
    }

    @Override
    public void accumulate(float[] p, int rows, int cols, float[] b, int d, float[] acc) {
        for (int i = 0; i < rows; i++) accumulateTail(p, i, cols, b, d, acc, 0);
    }

    /** Elements {@code from..d} of row i (shared with the vector kernel for its tail). */
    static void accumulateTail(float[] p, int i, int cols, float[] b, int d, float[] acc, int from) {
        for (int e = from; e < d; e++) {
            float s = acc[i * d + e];
            for (int j = 0; j < cols; j++) s = Math.fma(p[i * cols + j], b[j * d + e], s);
            acc[i * d + e] = s;
        }
    }
}
