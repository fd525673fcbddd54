package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AttentionTiles} on the Vector API: lanes run along the output row (keys for the score tile,
 * head dimensions for the accumulation), a broadcast FMA per reduction step, four vectors per pass
 * so that four independent FMA chains hide the latency. Tails go to the scalar loops, which compute
 * the same chain. Loaded by name only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorAttentionTiles implements AttentionTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void productTransposed(float[] a, int rows, float[] bt, int cols, int d, float[] c) {
        for (int i = 0; i < rows; i++) {
            int ai = i * d, ci = i * cols, j = 0;
            for (; j + 4 * L <= cols; j += 4 * L) {
                FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
                for (int e = 0; e < d; e++) {
                    FloatVector x = FloatVector.broadcast(S, a[ai + e]);
                    int b = e * cols + j;
                    c0 = x.fma(FloatVector.fromArray(S, bt, b), c0);
                    c1 = x.fma(FloatVector.fromArray(S, bt, b + L), c1);
                    c2 = x.fma(FloatVector.fromArray(S, bt, b + 2 * L), c2);
                    c3 = x.fma(FloatVector.fromArray(S, bt, b + 3 * L), c3);
                }
                c0.intoArray(c, ci + j);
                c1.intoArray(c, ci + j + L);
                c2.intoArray(c, ci + j + 2 * L);
                c3.intoArray(c, ci + j + 3 * L);
            }
            for (; j + L <= cols; j += L) {
                FloatVector c0 = FloatVector.zero(S);
                for (int e = 0; e < d; e++) c0 = FloatVector.broadcast(S, a[ai + e]).fma(FloatVector.fromArray(S, bt, e * cols + j), c0);
                c0.intoArray(c, ci + j);
            }
            ScalarAttentionTiles.productTransposedTail(a, i, bt, cols, d, c, j);
        }
    }

    @Override
    public void accumulate(float[] p, int rows, int cols, float[] b, int d, float[] acc) {
        for (int i = 0; i < rows; i++) {
            int pi = i * cols, ai = i * d, e = 0;
            for (; e + 4 * L <= d; e += 4 * L) {
                FloatVector c0 = FloatVector.fromArray(S, acc, ai + e), c1 = FloatVector.fromArray(S, acc, ai + e + L);
                FloatVector c2 = FloatVector.fromArray(S, acc, ai + e + 2 * L), c3 = FloatVector.fromArray(S, acc, ai + e + 3 * L);
                for (int j = 0; j < cols; j++) {
                    FloatVector x = FloatVector.broadcast(S, p[pi + j]);
                    int r = j * d + e;
                    c0 = x.fma(FloatVector.fromArray(S, b, r), c0);
                    c1 = x.fma(FloatVector.fromArray(S, b, r + L), c1);
                    c2 = x.fma(FloatVector.fromArray(S, b, r + 2 * L), c2);
                    c3 = x.fma(FloatVector.fromArray(S, b, r + 3 * L), c3);
                }
                c0.intoArray(acc, ai + e);
                c1.intoArray(acc, ai + e + L);
                c2.intoArray(acc, ai + e + 2 * L);
                c3.intoArray(acc, ai + e + 3 * L);
            }
            for (; e + L <= d; e += L) {
                FloatVector c0 = FloatVector.fromArray(S, acc, ai + e);
                for (int j = 0; j < cols; j++) c0 = FloatVector.broadcast(S, p[pi + j]).fma(FloatVector.fromArray(S, b, j * d + e), c0);
                c0.intoArray(acc, ai + e);
            }
            ScalarAttentionTiles.accumulateTail(p, i, cols, b, d, acc, e);
        }
    }
}
