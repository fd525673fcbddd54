// Batched F32 GEMM c = alpha * a @ b + beta * c over arbitrary strides (transposes and batch
// broadcasting arrive as strides). gemm_tiled stages 64x64 tiles of a and b through local memory
// (K in steps of 16) and each of its 16x16 work items keeps a 4x4 block of c in registers.
// When beta == 0, c is never read (it may hold NaN).

#define GEMM_TS 64
#define GEMM_TK 16
#define GEMM_WPT 4
#define GEMM_RTS 16   // GEMM_TS / GEMM_WPT work items per tile side

__kernel __attribute__((reqd_work_group_size(GEMM_RTS, GEMM_RTS, 1)))
void gemm_tiled(int M, int N, int K, float alpha, float beta,
                __global const float* A, long offA, long sAb, long sAm, long sAk,
                __global const float* B, long offB, long sBb, long sBk, long sBn,
                __global float* C, long offC, long sCb, long sCm, long sCn) {
    __local float As[GEMM_TK][GEMM_TS];
    __local float Bs[GEMM_TK][GEMM_TS + 1];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * GEMM_RTS + tx;
    const int n0 = get_group_id(0) * GEMM_TS, m0 = get_group_id(1) * GEMM_TS;
    const long batch = get_global_id(2);
    A += offA + batch * sAb;
    B += offB + batch * sBb;
    C += offC + batch * sCb;

    float acc[GEMM_WPT][GEMM_WPT];
    for (int i = 0; i < GEMM_WPT; i++)
        for (int j = 0; j < GEMM_WPT; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
        for (int l = 0; l < (GEMM_TS * GEMM_TK) / (GEMM_RTS * GEMM_RTS); l++) {
            int e = tid + l * GEMM_RTS * GEMM_RTS;
            int am = e / GEMM_TK, ak = e % GEMM_TK;
            int gm = m0 + am, gk = k0 + ak;
            As[ak][am] = (gm < M && gk < K) ? A[gm * sAm + gk * sAk] : 0.0f;
            int bk = e / GEMM_TS, bn = e % GEMM_TS;
            int hk = k0 + bk, hn = n0 + bn;
            Bs[bk][bn] = (hk < K && hn < N) ? B[hk * sBk + hn * sBn] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < GEMM_TK; kk++) {
            float av[GEMM_WPT], bv[GEMM_WPT];
            for (int i = 0; i < GEMM_WPT; i++) av[i] = As[kk][ty + i * GEMM_RTS];
            for (int j = 0; j < GEMM_WPT; j++) bv[j] = Bs[kk][tx + j * GEMM_RTS];
            for (int i = 0; i < GEMM_WPT; i++)
                for (int j = 0; j < GEMM_WPT; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < GEMM_WPT; i++) {
        int m = m0 + ty + i * GEMM_RTS;
        if (m >= M) continue;
        for (int j = 0; j < GEMM_WPT; j++) {
            int n = n0 + tx + j * GEMM_RTS;
            if (n >= N) continue;
            long pc = m * sCm + n * sCn;
            float r = alpha * acc[i][j];
            if (beta != 0.0f) r += beta * C[pc];
            C[pc] = r;
        }
    }
}

// One work item per element of c: for devices whose work groups are too small for gemm_tiled.
__kernel void gemm_simple(int M, int N, int K, float alpha, float beta,
                          __global const float* A, long offA, long sAb, long sAm, long sAk,
                          __global const float* B, long offB, long sBb, long sBk, long sBn,
                          __global float* C, long offC, long sCb, long sCm, long sCn) {
    int n = get_global_id(0), m = get_global_id(1);
    long batch = get_global_id(2);
    if (m >= M || n >= N) return;
    A += offA + batch * sAb;
    B += offB + batch * sBb;
    C += offC + batch * sCb;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc = fma(A[m * sAm + k * sAk], B[k * sBk + n * sBn], acc);
    long pc = m * sCm + n * sCn;
    float r = alpha * acc;
    if (beta != 0.0f) r += beta * C[pc];
    C[pc] = r;
}
