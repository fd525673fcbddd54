package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;

/** A 4 x 4 {@link GemmKernel} in plain Java, for when the Vector API is absent. */
final class ScalarGemmKernel implements GemmKernel {
    private static final int MR = 4, NR = 4;

    @Override
    public int mr() { return MR; }

    @Override
    public int nr() { return NR; }

    @Override
    public void tile(int kc, float[] ap, int ao, float[] bp, int bo, MemorySegment c, long cOff, long rs, long cs,
                     int mv, int nv, float alpha, float beta, float[] acc,
                     float[] bias, int biasOff, int biasRow, int biasCol) {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            float b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
            float a0 = ap[ao], a1 = ap[ao + 1], a2 = ap[ao + 2], a3 = ap[ao + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
        acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
        acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23;
        acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
        GemmKernel.store(acc, NR, c, cOff, rs, cs, mv, nv, alpha, beta, bias, biasOff, biasRow, biasCol);
    }
}
