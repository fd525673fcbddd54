// Softmax and log-softmax along one axis of a contiguous F32 tensor seen as [outer, n, inner], and their
// backward passes. One block per (outer, inner) row; the row's elements are `inner` apart.
#include "kiln_common.cuh"
#include "kiln_block.cuh"

extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
softmax_forward(const float* x, float* y, i64 rows, int n, i64 inner, int logMode) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const i64 base = (r / inner) * n * inner + r % inner;
        float m = -KILN_INF_F;
        for (int j = threadIdx.x; j < n; j += blockDim.x) m = kiln_nan_max(m, x[base + j * inner]);
        m = kiln_block_max(m, scratch);
        float s = 0.f;
        for (int j = threadIdx.x; j < n; j += blockDim.x) s += expf(x[base + j * inner] - m);
        s = kiln_block_sum(s, scratch);
        if (logMode) {
            const float lse = m + logf(s);
            for (int j = threadIdx.x; j < n; j += blockDim.x) y[base + j * inner] = x[base + j * inner] - lse;
        } else {
            const float inv = 1.f / s;
            for (int j = threadIdx.x; j < n; j += blockDim.x) y[base + j * inner] = expf(x[base + j * inner] - m) * inv;
        }
    }
}

// softmax: gx = y * (gy - sum(gy * y)); log-softmax: gx = gy - exp(y) * sum(gy).
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
softmax_backward(const float* gy, const float* y, float* gx, i64 rows, int n, i64 inner, int logMode) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const i64 base = (r / inner) * n * inner + r % inner;
        float s = 0.f;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            const i64 k = base + j * inner;
            s += logMode ? gy[k] : gy[k] * y[k];
        }
        s = kiln_block_sum(s, scratch);
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            const i64 k = base + j * inner;
            gx[k] = logMode ? gy[k] - expf(y[k]) * s : y[k] * (gy[k] - s);
        }
    }
}
