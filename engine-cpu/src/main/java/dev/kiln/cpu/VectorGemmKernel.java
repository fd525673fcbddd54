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
                     int mv, int nv, float alpha, float beta, float[] acc,
                     float[] bias, int biasOff, int biasRow, int biasCol) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        // Two K steps per iteration: it halves the loop overhead and lets the loads of the second
        // step issue under the first's FMAs (about 1.6x the rate of the plain loop here). Each
        // accumulator still sums its products in K order, so the bits do not change.
        int k = 0;
        for (; k + 1 < kc; k += 2, ao += 2 * MR, bo += 2 * NR) {
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
            b0 = FloatVector.fromArray(S, bp, bo + NR);
            b1 = FloatVector.fromArray(S, bp, bo + NR + L);
            a = FloatVector.broadcast(S, ap[ao + MR]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + MR + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + MR + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + MR + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + MR + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + MR + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        if (k < kc) {
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
        // Spill to the scratch tile: vectors never cross a call that the JIT might not inline
        // (that would box them and cost more than the whole tile).
        c00.intoArray(acc, 0); c01.intoArray(acc, L);
        c10.intoArray(acc, NR); c11.intoArray(acc, NR + L);
        c20.intoArray(acc, 2 * NR); c21.intoArray(acc, 2 * NR + L);
        c30.intoArray(acc, 3 * NR); c31.intoArray(acc, 3 * NR + L);
        c40.intoArray(acc, 4 * NR); c41.intoArray(acc, 4 * NR + L);
        c50.intoArray(acc, 5 * NR); c51.intoArray(acc, 5 * NR + L);
        if (mv == MR && nv == NR && cs == 1 && (bias == null || biasCol <= 1)) store(acc, c, cOff, rs, alpha, beta, bias, biasOff, biasRow, biasCol);
        else GemmKernel.store(acc, NR, c, cOff, rs, cs, mv, nv, alpha, beta, bias, biasOff, biasRow, biasCol);
    }

    /** Full tile, contiguous C rows: C = alpha * acc + beta * C (+ bias), a vector at a time. */
    private static void store(float[] acc, MemorySegment c, long cOff, long rs, float alpha, float beta,
                              float[] bias, int biasOff, int biasRow, int biasCol) {
        FloatVector va = FloatVector.broadcast(S, alpha), vb = FloatVector.broadcast(S, beta);
        for (int i = 0; i < MR; i++) {
            for (int v = 0; v < NR; v += L) {
                long at = (cOff + i * rs + v) * 4;
                FloatVector r = FloatVector.fromArray(S, acc, i * NR + v).mul(va);
                if (beta != 0) r = FloatVector.fromMemorySegment(S, c, at, O).fma(vb, r);
                if (bias != null) {
                    int bo = biasOff + i * biasRow;
                    r = r.add(biasCol == 0 ? FloatVector.broadcast(S, bias[bo]) : FloatVector.fromArray(S, bias, bo + v));
                }
                r.intoMemorySegment(c, at, O);
            }
        }
    }
}
