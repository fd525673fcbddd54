// Scaled dot-product attention in the FlashAttention manner: keys and values (or queries) stream through
// shared memory in tiles, each query keeps a running maximum and sum (online softmax), and no Tq x Tk
// matrix is ever stored. q [N, H, Tq, D], k and v [N, H, Tk, D] contiguous F32; D <= KILN_ATT_MAX_D.
// mask: null or an additive F32 mask with strides (n, h, i, j) for its broadcast to [N, H, Tq, Tk];
// causal drops key j > query i. A query with every key dropped gets zeros and lse = +inf, as the composite
// and the CPU backend, so either side's backward reads the other's forward (exp(s - lse) = 0 there).
#include "kiln_common.cuh"

#define KILN_ATT_MAX_D 128
#define KILN_ATT_TILE 32

struct AttMask {
    const float* data;   // null: no mask
    i64 sn, sh, si, sj;
};
static_assert(sizeof(AttMask) == 40, "AttMask layout must match AttentionLaunch.packMask()");

// The score's additive term for (b = n * H + h, i, j), or -inf when the key is dropped.
__device__ __forceinline__ float att_bias(const AttMask& mask, int heads, int b, i64 i, i64 j, int causal) {
    if (causal && j > i) return -KILN_INF_F;
    if (mask.data == 0) return 0.f;
    const i64 n = b / heads, h = b % heads;
    return mask.data[n * mask.sn + h * mask.sh + i * mask.si + j * mask.sj];
}

// One thread per query row, KILN_ATT_TILE rows per block; grid (ceil(Tq / TILE), N * H).
extern "C" __global__ void __launch_bounds__(KILN_ATT_TILE)
attention_forward(const float* q, const float* k, const float* v, AttMask mask, float* out, float* lse, int heads,
                  int tq, int tk, int d, float scale, int causal) {
    __shared__ float ks[KILN_ATT_TILE][KILN_ATT_MAX_D];
    __shared__ float vs[KILN_ATT_TILE][KILN_ATT_MAX_D];
    const int b = blockIdx.y;
    const i64 i = (i64) blockIdx.x * KILN_ATT_TILE + threadIdx.x;
    const bool active = i < tq;
    const float* qi = q + ((i64) b * tq + (active ? i : 0)) * d;
    float qr[KILN_ATT_MAX_D], acc[KILN_ATT_MAX_D];
    for (int c = 0; c < d; ++c) {
        qr[c] = active ? qi[c] : 0.f;
        acc[c] = 0.f;
    }
    float m = -KILN_INF_F, l = 0.f;
    for (int j0 = 0; j0 < tk; j0 += KILN_ATT_TILE) {
        const int rows = min(KILN_ATT_TILE, tk - j0);
        __syncthreads();   // the previous tile has been used by every thread
        for (int e = threadIdx.x; e < rows * d; e += blockDim.x) {
            const int r = e / d, c = e % d;
            const i64 src = ((i64) b * tk + j0 + r) * d + c;
            ks[r][c] = k[src];
            vs[r][c] = v[src];
        }
        __syncthreads();
        if (!active) continue;
        for (int r = 0; r < rows; ++r) {
            const float bias = att_bias(mask, heads, b, i, j0 + r, causal);
            if (bias == -KILN_INF_F) continue;
            float s = 0.f;
            for (int c = 0; c < d; ++c) s += qr[c] * ks[r][c];
            s = s * scale + bias;
            if (s == -KILN_INF_F) continue;
            const float mNew = fmaxf(m, s);
            const float correction = expf(m - mNew);   // exp(-inf) = 0 on the first key
            const float p = expf(s - mNew);
            l = l * correction + p;
            for (int c = 0; c < d; ++c) acc[c] = acc[c] * correction + p * vs[r][c];
            m = mNew;
        }
    }
    if (!active) return;
    float* oi = out + ((i64) b * tq + i) * d;
    const float inv = l > 0.f ? 1.f / l : 0.f;
    for (int c = 0; c < d; ++c) oi[c] = acc[c] * inv;
    lse[(i64) b * tq + i] = l > 0.f ? m + logf(l) : KILN_INF_F;
}

// Backward, part 1: one thread per query row computes delta_i = dO_i . O_i and
// dQ_i = scale * sum_j p_ij (dO_i . V_j - delta_i) K_j with p_ij = exp(s_ij - lse_i), streaming K and V tiles.
extern "C" __global__ void __launch_bounds__(KILN_ATT_TILE)
attention_backward_dq(const float* q, const float* k, const float* v, AttMask mask, const float* out,
                      const float* dout, const float* lse, float* delta, float* dq, int heads, int tq, int tk, int d,
                      float scale, int causal) {
    __shared__ float ks[KILN_ATT_TILE][KILN_ATT_MAX_D];
    __shared__ float vs[KILN_ATT_TILE][KILN_ATT_MAX_D];
    const int b = blockIdx.y;
    const i64 i = (i64) blockIdx.x * KILN_ATT_TILE + threadIdx.x;
    const bool active = i < tq;
    const i64 row = (i64) b * tq + (active ? i : 0);
    float qr[KILN_ATT_MAX_D], gr[KILN_ATT_MAX_D], acc[KILN_ATT_MAX_D];
    float di = 0.f;
    for (int c = 0; c < d; ++c) {
        qr[c] = active ? q[row * d + c] : 0.f;
        gr[c] = active ? dout[row * d + c] : 0.f;
        di += active ? gr[c] * out[row * d + c] : 0.f;
        acc[c] = 0.f;
    }
    const float li = active ? lse[row] : KILN_INF_F;
    for (int j0 = 0; j0 < tk; j0 += KILN_ATT_TILE) {
        const int rows = min(KILN_ATT_TILE, tk - j0);
        __syncthreads();
        for (int e = threadIdx.x; e < rows * d; e += blockDim.x) {
            const int r = e / d, c = e % d;
            const i64 src = ((i64) b * tk + j0 + r) * d + c;
            ks[r][c] = k[src];
            vs[r][c] = v[src];
        }
        __syncthreads();
        if (!active || li == KILN_INF_F) continue;
        for (int r = 0; r < rows; ++r) {
            const float bias = att_bias(mask, heads, b, i, j0 + r, causal);
            if (bias == -KILN_INF_F) continue;
            float s = 0.f, dp = 0.f;
            for (int c = 0; c < d; ++c) {
                s += qr[c] * ks[r][c];
                dp += gr[c] * vs[r][c];
            }
            const float p = expf(s * scale + bias - li);
            const float ds = p * (dp - di) * scale;
            for (int c = 0; c < d; ++c) acc[c] += ds * ks[r][c];
        }
    }
    if (!active) return;
    delta[row] = di;
    for (int c = 0; c < d; ++c) dq[row * d + c] = acc[c];
}

// Backward, part 2 (after part 1 wrote delta): one thread per key row computes
// dV_j = sum_i p_ij dO_i and dK_j = scale * sum_i p_ij (dO_i . V_j - delta_i) Q_i, streaming Q and dO tiles.
extern "C" __global__ void __launch_bounds__(KILN_ATT_TILE)
attention_backward_dkv(const float* q, const float* k, const float* v, AttMask mask, const float* dout,
                       const float* lse, const float* delta, float* dk, float* dv, int heads, int tq, int tk, int d,
                       float scale, int causal) {
    __shared__ float qs[KILN_ATT_TILE][KILN_ATT_MAX_D];
    __shared__ float gs[KILN_ATT_TILE][KILN_ATT_MAX_D];
    __shared__ float ls[KILN_ATT_TILE];
    __shared__ float ds_[KILN_ATT_TILE];
    const int b = blockIdx.y;
    const i64 j = (i64) blockIdx.x * KILN_ATT_TILE + threadIdx.x;
    const bool active = j < tk;
    const i64 row = (i64) b * tk + (active ? j : 0);
    float kr[KILN_ATT_MAX_D], vr[KILN_ATT_MAX_D], dka[KILN_ATT_MAX_D], dva[KILN_ATT_MAX_D];
    for (int c = 0; c < d; ++c) {
        kr[c] = active ? k[row * d + c] : 0.f;
        vr[c] = active ? v[row * d + c] : 0.f;
        dka[c] = 0.f;
        dva[c] = 0.f;
    }
    for (int i0 = 0; i0 < tq; i0 += KILN_ATT_TILE) {
        const int rows = min(KILN_ATT_TILE, tq - i0);
        __syncthreads();
        for (int e = threadIdx.x; e < rows * d; e += blockDim.x) {
            const int r = e / d, c = e % d;
            const i64 src = ((i64) b * tq + i0 + r) * d + c;
            qs[r][c] = q[src];
            gs[r][c] = dout[src];
        }
        for (int r = threadIdx.x; r < rows; r += blockDim.x) {
            ls[r] = lse[(i64) b * tq + i0 + r];
            ds_[r] = delta[(i64) b * tq + i0 + r];
        }
        __syncthreads();
        if (!active) continue;
        for (int r = 0; r < rows; ++r) {
            if (ls[r] == KILN_INF_F) continue;   // a query with every key dropped has no gradient
            const float bias = att_bias(mask, heads, b, i0 + r, j, causal);
            if (bias == -KILN_INF_F) continue;
            float s = 0.f, dp = 0.f;
            for (int c = 0; c < d; ++c) {
                s += qs[r][c] * kr[c];
                dp += gs[r][c] * vr[c];
            }
            const float p = expf(s * scale + bias - ls[r]);
            const float dsc = p * (dp - ds_[r]) * scale;
            for (int c = 0; c < d; ++c) {
                dva[c] += p * gs[r][c];
                dka[c] += dsc * qs[r][c];
            }
        }
    }
    if (!active) return;
    for (int c = 0; c < d; ++c) {
        dk[row * d + c] = dka[c];
        dv[row * d + c] = dva[c];
    }
}
