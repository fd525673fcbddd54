package dev.kiln.cpu;

/** {@link AttentionTiles} in plain Java, for when the Vector API is absent; the same bits as the vector one. */
final class ScalarAttentionTiles implements AttentionTiles {
    static final ScalarAttentionTiles INSTANCE = new ScalarAttentionTiles();

    private ScalarAttentionTiles() {}

    @Override
    public void multiply(float[] a, int rows, int k, float[] b, int n, float[] c, boolean accumulate) {
        for (int i = 0; i < rows; i++) rowTail(a, i, k, b, n, c, accumulate, 0);
    }

    /** Columns {@code from..n} of row i (shared with the vector kernel for its tail). */
    static void rowTail(float[] a, int i, int k, float[] b, int n, float[] c, boolean accumulate, int from) {
        for (int j = from; j < n; j++) {
            float s = accumulate ? c[i * n + j] : 0f;
            for (int e = 0; e < k; e++) s = Math.fma(a[i * k + e], b[e * n + j], s);
            c[i * n + j] = s;
        }
    }
}
