package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The register-blocked heart of {@link Gemm}: one MR x NR tile of C from packed panels.
 * {@code ap} holds kc steps of MR values of A (column by column of the panel), {@code bp} kc steps
 * of NR values of B. The tile {@code C[i, j]} at element {@code cOff + i * rs + j * cs} becomes
 * {@code alpha * acc + beta * C}; with {@code beta == 0} C is not read. Only the first mv rows and
 * nv columns are written (the packed panels are zero beyond them). {@code acc} is MR * NR floats of
 * scratch owned by the calling thread. When {@code bias} is not null, {@code bias[biasOff + i * biasRow
 * + j * biasCol]} is added after the beta term (a fused bias: one step {0, 1} per column, {1, 0} per row).
 */
interface GemmKernel {
    int mr();

    int nr();

    void tile(int kc, float[] ap, int ao, float[] bp, int bo, MemorySegment c, long cOff, long rs, long cs,
              int mv, int nv, float alpha, float beta, float[] acc, float[] bias, int biasOff, int biasRow, int biasCol);

    /** Writes a finished accumulator tile acc[i * nr + j] into C (the edge and strided-C case). */
    static void store(float[] acc, int nr, MemorySegment c, long cOff, long rs, long cs, int mv, int nv, float alpha, float beta,
                      float[] bias, int biasOff, int biasRow, int biasCol) {
        for (int i = 0; i < mv; i++) {
            for (int j = 0; j < nv; j++) {
                long at = cOff + i * rs + j * cs;
                float v = alpha * acc[i * nr + j];
                if (beta != 0) v = Math.fma(beta, c.getAtIndex(Elem.F, at), v);
                if (bias != null) v += bias[biasOff + i * biasRow + j * biasCol];
                c.setAtIndex(Elem.F, at, v);
            }
        }
    }
}
