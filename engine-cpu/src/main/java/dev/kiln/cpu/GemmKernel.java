package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The register-blocked heart of {@link Gemm}: one MR x NR tile of C from packed panels.
 * {@code ap} holds kc steps of MR values of A (column by column of the panel), {@code bp} kc steps
 * of NR values of B. The tile {@code C[i, j]} at element {@code cOff + i * rs + j * cs} becomes
 * {@code alpha * acc + beta * C}; with {@code beta == 0} C is not read. Only the first mv rows and
 * nv columns are written (the packed panels are zero beyond them). {@code acc} is MR * NR floats of
 * scratch owned by the calling thread.
 */
interface GemmKernel {
    int mr();

    int nr();

    void tile(int kc, float[] ap, int ao, float[] bp, int bo, MemorySegment c, long cOff, long rs, long cs,
              int mv, int nv, float alpha, float beta, float[] acc);

    /** Writes a finished accumulator tile acc[i * nr + j] into C (the edge and strided-C case). */
    static void store(float[] acc, int nr, MemorySegment c, long cOff, long rs, long cs, int mv, int nv, float alpha, float beta) {
        for (int i = 0; i < mv; i++) {
            for (int j = 0; j < nv; j++) {
                long at = cOff + i * rs + j * cs;
                float v = alpha * acc[i * nr + j];
                if (beta != 0) v += beta * c.getAtIndex(Elem.F, at);
                c.setAtIndex(Elem.F, at, v);
            }
        }
    }
}
