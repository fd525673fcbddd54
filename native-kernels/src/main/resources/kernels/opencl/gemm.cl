// Batched F32 GEMM c = alpha * a @ b + beta * c over arbitrary strides (transposes and batch
// broadcasting arrive as strides). gemm_tiled stages 64x64 tiles of a and b through local memory
// (K in steps of 16) and each of its 16x16 work items keeps a 4x4 block of c in registers.
// When beta == 0, c is never read (it may hold NaN).
//
// GEMM_VW (1, 2 or 4: the device's preferred float vector width, set by the host) is the width of
// the vectors a work item computes with: its four columns are GEMM_VW-wide runs of adjacent columns
// (with 1, columns 16 apart, as scalar GPUs like for coalescing), b's tile rows are read from global
// memory with vloadN where b is contiguous along n and the run lies inside the matrix, and c is
// written with vstoreN where it is contiguous along n. Ragged edges and other layouts use scalar
// accesses, so every stride Gemm accepts stays valid. vloadN/vstoreN need only float alignment.

#ifndef GEMM_VW
#define GEMM_VW 1
#endif

#define GEMM_TS 64
#define GEMM_TK 16
#define GEMM_WPT 4
#define GEMM_RTS 16   // GEMM_TS / GEMM_WPT work items per tile side
#define GEMM_VPT (GEMM_WPT / GEMM_VW)   // vectors per row of a work item's block

#if GEMM_VW == 1
typedef float gemm_vec;
#define GEMM_VLOAD(p) (*(p))
#define GEMM_VSTORE(v, p) (*(p) = (v))
#elif GEMM_VW == 2
typedef float2 gemm_vec;
#define GEMM_VLOAD(p) vload2(0, p)
#define GEMM_VSTORE(v, p) vstore2(v, 0, p)
#elif GEMM_VW == 4
typedef float4 gemm_vec;
#define GEMM_VLOAD(p) vload4(0, p)
#define GEMM_VSTORE(v, p) vstore4(v, 0, p)
#else
#error "GEMM_VW must be 1, 2 or 4"
#endif

// Column of the tile held by lane v of vector j of work item tx.
#define GEMM_COL(tx, j, v) (((tx) + (j) * GEMM_RTS) * GEMM_VW + (v))

__kernel __attribute__((reqd_work_group_size(GEMM_RTS, GEMM_RTS, 1)))
void gemm_tiled(int M, int N, int K, float alpha, float beta,
                __global const float* A, long offA, long sAb, long sAm, long sAk,
                __global const float* B, long offB, long sBb, long sBk, long sBn,
                __global float* C, long offC, long sCb, long sCm, long sCn) {
    __local float As[GEMM_TK][GEMM_TS];
    __local float Bs[GEMM_TK][GEMM_TS];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * GEMM_RTS + tx;
    const int n0 = get_group_id(0) * GEMM_TS, m0 = get_group_id(1) * GEMM_TS;
    const long batch = get_global_id(2);
    A += offA + batch * sAb;
    B += offB + batch * sBb;
    C += offC + batch * sCb;

    gemm_vec acc[GEMM_WPT][GEMM_VPT];
    for (int i = 0; i < GEMM_WPT; i++)
        for (int j = 0; j < GEMM_VPT; j++) acc[i][j] = (gemm_vec) 0.0f;

    for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
        for (int l = 0; l < (GEMM_TS * GEMM_TK) / (GEMM_RTS * GEMM_RTS); l++) {
            int e = tid + l * GEMM_RTS * GEMM_RTS;
            int am = e / GEMM_TK, ak = e % GEMM_TK;
            int gm = m0 + am, gk = k0 + ak;
            As[ak][am] = (gm < M && gk < K) ? A[gm * sAm + gk * sAk] : 0.0f;
        }
        // b's tile in runs of GEMM_VW columns, one run per work item and pass
        for (int l = 0; l < (GEMM_TS * GEMM_TK) / (GEMM_RTS * GEMM_RTS * GEMM_VW); l++) {
            int e = (tid + l * GEMM_RTS * GEMM_RTS) * GEMM_VW;
            int bk = e / GEMM_TS, bn = e % GEMM_TS;
            int hk = k0 + bk, hn = n0 + bn;
            if (hk < K && sBn == 1 && hn + GEMM_VW <= N) {
                gemm_vec v = GEMM_VLOAD(B + hk * sBk + hn);
                GEMM_VSTORE(v, &Bs[bk][bn]);
            } else {
                for (int v = 0; v < GEMM_VW; v++) Bs[bk][bn + v] = (hk < K && hn + v < N) ? B[hk * sBk + (hn + v) * sBn] : 0.0f;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < GEMM_TK; kk++) {
            float av[GEMM_WPT];
            gemm_vec bv[GEMM_VPT];
            for (int i = 0; i < GEMM_WPT; i++) av[i] = As[kk][ty + i * GEMM_RTS];
            for (int j = 0; j < GEMM_VPT; j++) bv[j] = GEMM_VLOAD(&Bs[kk][GEMM_COL(tx, j, 0)]);
            for (int i = 0; i < GEMM_WPT; i++)
                for (int j = 0; j < GEMM_VPT; j++) acc[i][j] = fma((gemm_vec) av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < GEMM_WPT; i++) {
        int m = m0 + ty + i * GEMM_RTS;
        if (m >= M) continue;
        for (int j = 0; j < GEMM_VPT; j++) {
            int n = n0 + GEMM_COL(tx, j, 0);
            if (n >= N) continue;
            __global float* pc = C + m * sCm + n * sCn;
            gemm_vec r = alpha * acc[i][j];
            if (sCn == 1 && n + GEMM_VW <= N) {
                if (beta != 0.0f) r += beta * GEMM_VLOAD(pc);
                GEMM_VSTORE(r, pc);
            } else {
                float lanes[GEMM_VW];
                GEMM_VSTORE(r, lanes);
                for (int v = 0; v < GEMM_VW && n + v < N; v++) {
                    float out = lanes[v];
                    if (beta != 0.0f) out += beta * pc[v * sCn];
                    pc[v * sCn] = out;
                }
            }
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
