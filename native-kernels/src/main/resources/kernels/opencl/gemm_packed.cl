// Batched F32 GEMM for CPU drivers (PoCL): a and b are first packed into panels that are contiguous
// along K (gemm_pack), so transposes, strides, batch broadcasting and ragged edges are handled once
// and gemm_panels' inner loop is a plain walk over two contiguous panels with no bounds checks.
// Each work item keeps a GEMM_MR x GEMM_NR block of c in registers (GEMM_MR vectors of GEMM_NR
// floats): one vector load of b and GEMM_MR broadcasts of a per k. No local memory and no barriers,
// since a CPU driver runs a work group as a loop and every barrier splits that loop.
// The host defines GEMM_MR (rows of a panel of a) and GEMM_NR (the device's float vector width).

#define GEMM_CAT_(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)
#define GEMM_VEC GEMM_CAT(float, GEMM_NR)
#define GEMM_VLOAD GEMM_CAT(vload, GEMM_NR)
#define GEMM_VSTORE GEMM_CAT(vstore, GEMM_NR)

// dst[batch][panel][k][width] = src[batch][panel * width + r][k], zero beyond `rows`.
// Work item (r in the padded rows, k, batch); `sRow` and `sK` are the source strides.
__kernel void gemm_pack(int rows, int K, int width,
                        __global const float* src, long offset, long sBatch, long sRow, long sK,
                        __global float* dst) {
    const int row = get_global_id(0), k = get_global_id(1);
    const long batch = get_global_id(2);
    const int panels = (rows + width - 1) / width;
    if (row >= panels * width || k >= K) return;
    const long out = ((batch * panels + row / width) * K + k) * width + row % width;
    dst[out] = row < rows ? src[offset + batch * sBatch + row * sRow + k * sK] : 0.0f;
}

// One K block [k0, k0 + kc) of c = alpha * a @ b + beta * c; the host calls the first block with
// the caller's beta and the later ones with beta = 1. beta == 0 never reads c (it may hold NaN).
// Work item (panel of b, panel of a, batch); aBatch / bBatch are 0 when a batch is broadcast.
__kernel void gemm_panels(int M, int N, int K, int k0, int kc, float alpha, float beta,
                          __global const float* Ap, long aBatch, __global const float* Bp, long bBatch,
                          __global float* C, long offC, long sCb, long sCm, long sCn) {
    const int pn = get_global_id(0), pm = get_global_id(1);
    const long batch = get_global_id(2);
    const int mPanels = (M + GEMM_MR - 1) / GEMM_MR, nPanels = (N + GEMM_NR - 1) / GEMM_NR;
    if (pm >= mPanels || pn >= nPanels) return;
    __global const float* a = Ap + batch * aBatch + ((long) pm * K + k0) * GEMM_MR;
    __global const float* b = Bp + batch * bBatch + ((long) pn * K + k0) * GEMM_NR;

    GEMM_VEC acc[GEMM_MR];
    for (int r = 0; r < GEMM_MR; r++) acc[r] = (GEMM_VEC) 0.0f;
    for (int k = 0; k < kc; k++) {
        const GEMM_VEC bv = GEMM_VLOAD(k, b);
        __global const float* ak = a + k * GEMM_MR;
#pragma unroll
        for (int r = 0; r < GEMM_MR; r++) acc[r] = fma((GEMM_VEC) ak[r], bv, acc[r]);
    }

    C += offC + batch * sCb;
    const int m0 = pm * GEMM_MR, n0 = pn * GEMM_NR;
    const bool fullRow = n0 + GEMM_NR <= N && sCn == 1;
    for (int r = 0; r < GEMM_MR; r++) {
        const int m = m0 + r;
        if (m >= M) break;
        __global float* crow = C + m * sCm;
        if (fullRow) {
            // the common case: one vector load and store per row of the block
            GEMM_VEC v = alpha * acc[r];
            if (beta != 0.0f) v = fma((GEMM_VEC) beta, GEMM_VLOAD(0, crow + n0), v);
            GEMM_VSTORE(v, 0, crow + n0);
        } else {
            float part[GEMM_NR];
            GEMM_VSTORE(acc[r], 0, part);
            for (int c = 0; c < GEMM_NR && n0 + c < N; c++) {
                const long pc = (long) (n0 + c) * sCn;
                float v = alpha * part[c];
                if (beta != 0.0f) v = fma(beta, crow[pc], v);
                crow[pc] = v;
            }
        }
    }
}
