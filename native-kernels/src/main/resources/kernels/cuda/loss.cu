// Cross-entropy over logits [N, C] with I64 targets, as torch.nn.functional.cross_entropy (no class
// weights): per sample (1 - eps) * (lse - x_t) + eps * (lse - mean_c x_c); ignored samples give 0.
#include "kiln_common.cuh"
#include "kiln_block.cuh"

// Writes loss[i] and valid[i] (1 for a counted sample, 0 for an ignored one). A target outside [0, C)
// that is not ignoreIndex gives a NaN loss, so the error cannot pass unnoticed.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
cross_entropy_forward(const float* logits, const i64* target, float* loss, float* valid, i64 rows, int classes,
                      i64 ignoreIndex, float smoothing) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* x = logits + r * classes;
        const i64 t = target[r];
        float m = -KILN_INF_F;
        for (int j = threadIdx.x; j < classes; j += blockDim.x) m = kiln_nan_max(m, x[j]);
        m = kiln_block_max(m, scratch);
        float s = 0.f, sx = 0.f;
        for (int j = threadIdx.x; j < classes; j += blockDim.x) {
            s += expf(x[j] - m);
            sx += x[j];
        }
        s = kiln_block_sum(s, scratch);
        sx = kiln_block_sum(sx, scratch);
        if (threadIdx.x == 0) {
            if (t == ignoreIndex) {
                loss[r] = 0.f;
                valid[r] = 0.f;
            } else if (t < 0 || t >= classes) {
                loss[r] = KILN_NAN_F;
                valid[r] = 1.f;
            } else {
                const float lse = m + logf(s);
                loss[r] = (1.f - smoothing) * (lse - x[t]) + smoothing * (lse - sx / classes);
                valid[r] = 1.f;
            }
        }
    }
}

// grad[i, c] = g_i * (softmax_c - (1 - eps) [c == t] - eps / C) for counted samples, 0 for ignored ones.
// g_i = gradLoss[i * gradStride] / (divisor ? *divisor : 1): stride 0 for a scalar loss, divisor = count for MEAN.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
cross_entropy_backward(const float* logits, const i64* target, const float* gradLoss, i64 gradStride,
                       const float* divisor, float* grad, i64 rows, int classes, i64 ignoreIndex, float smoothing) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* x = logits + r * classes;
        float* gx = grad + r * classes;
        const i64 t = target[r];
        if (t == ignoreIndex) {
            for (int j = threadIdx.x; j < classes; j += blockDim.x) gx[j] = 0.f;
            continue;
        }
        float m = -KILN_INF_F;
        for (int j = threadIdx.x; j < classes; j += blockDim.x) m = kiln_nan_max(m, x[j]);
        m = kiln_block_max(m, scratch);
        float s = 0.f;
        for (int j = threadIdx.x; j < classes; j += blockDim.x) s += expf(x[j] - m);
        s = kiln_block_sum(s, scratch);
        const float g = gradLoss[r * gradStride] / (divisor ? *divisor : 1.f);
        const bool inRange = t >= 0 && t < classes;
        const float inv = 1.f / s;
        for (int j = threadIdx.x; j < classes; j += blockDim.x) {
            float d = expf(x[j] - m) * inv - smoothing / classes - (j == t ? 1.f - smoothing : 0.f);
            gx[j] = inRange ? g * d : KILN_NAN_F;
        }
    }
}
