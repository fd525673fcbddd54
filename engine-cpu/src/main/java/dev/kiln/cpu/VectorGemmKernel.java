package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 6 x (2 vectors) {@link GemmKernel} on Vector API FMAs: twelve accumulators, two B vectors and
 * one broadcast A value stay in registers (15 of AVX2's 16; AVX-512 has room to spare). Loaded by
 * name only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6, NR = 2 * L;
    private static final ByteOrder O = ByteOrder.nativeOrder();

    @Override
    public int mr() { return MR; }

    @Override
    public int nr() { return NR; }

    @Override
    public void tile(int kc, float[] ap, int ao, float[] bp, int bo, MemorySegment c, long cOff, long rs, long cs,
                     int mv, int nv, float alpha, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        if (mv == MR && nv == NR && cs == 1) {
            row(c00, c01, c, cOff, alpha, beta);
            row(c10, c11, c, cOff + rs, alpha, beta);
            row(c20, c21, c, cOff + 2 * rs, alpha, beta);
            row(c30, c31, c, cOff + 3 * rs, alpha, beta);
            row(c40, c41, c, cOff + 4 * rs, alpha, beta);
            row(c50, c51, c, cOff + 5 * rs, alpha, beta);
            return;
        }
        float[] acc = new float[MR * NR];
        FloatVector[] rows = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
        for (int v = 0; v < rows.length; v++) rows[v].intoArray(acc, v * L);
        GemmKernel.store(acc, NR, c, cOff, rs, cs, mv, nv, alpha, beta);
    }

    private static void row(FloatVector v0, FloatVector v1, MemorySegment c, long at, float alpha, float beta) {
        long b0 = at * 4, b1 = (at + L) * 4;
        FloatVector va = FloatVector.broadcast(S, alpha);
        if (beta == 0) {
            v0.mul(va).intoMemorySegment(c, b0, O);
            v1.mul(va).intoMemorySegment(c, b1, O);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            v0.fma(va, FloatVector.fromMemorySegment(S, c, b0, O).mul(vb)).intoMemorySegment(c, b0, O);
            v1.fma(va, FloatVector.fromMemorySegment(S, c, b1, O).mul(vb)).intoMemorySegment(c, b1, O);
        }
    }
}
