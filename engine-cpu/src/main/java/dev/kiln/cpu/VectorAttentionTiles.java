package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AttentionTiles} on the Vector API: lanes run along the output row (keys for the score tile,
 * head dimensions for the accumulations), a broadcast FMA per reduction step, four vectors per pass
 * so that four independent FMA chains hide the latency. Tails go to the scalar loop, which computes
 * the same chain. Loaded by name only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorAttentionTiles implements AttentionTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void multiply(float[] a, int rows, int k, float[] b, int n, float[] c, boolean accumulate) {
        for (int i = 0; i < rows; i++) {
            int ai = i * k, ci = i * n, j = 0;
            for (; j + 4 * L <= n; j += 4 * L) {
                FloatVector c0 = start(c, ci + j, accumulate), c1 = start(c, ci + j + L, accumulate);
                FloatVector c2 = start(c, ci + j + 2 * L, accumulate), c3 = start(c, ci + j + 3 * L, accumulate);
                for (int e = 0; e < k; e++) {
                    FloatVector x = FloatVector.broadcast(S, a[ai + e]);
                    int r = e * n + j;
                    c0 = x.fma(FloatVector.fromArray(S, b, r), c0);
                    c1 = x.fma(FloatVector.fromArray(S, b, r + L), c1);
                    c2 = x.fma(FloatVector.fromArray(S, b, r + 2 * L), c2);
                    c3 = x.fma(FloatVector.fromArray(S, b, r + 3 * L), c3);
                }
                c0.intoArray(c, ci + j);
                c1.intoArray(c, ci + j + L);
                c2.intoArray(c, ci + j + 2 * L);
                c3.intoArray(c, ci + j + 3 * L);
            }
            for (; j + L <= n; j += L) {
                FloatVector c0 = start(c, ci + j, accumulate);
                for (int e = 0; e < k; e++) c0 = FloatVector.broadcast(S, a[ai + e]).fma(FloatVector.fromArray(S, b, e * n + j), c0);
                c0.intoArray(c, ci + j);
            }
            ScalarAttentionTiles.rowTail(a, i, k, b, n, c, accumulate, j);
        }
    }

    private static FloatVector start(float[] c, int at, boolean accumulate) {
        return accumulate ? FloatVector.fromArray(S, c, at) : FloatVector.zero(S);
    }
}
