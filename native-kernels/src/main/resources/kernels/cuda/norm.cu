// Layer norm over the trailing `cols` elements of each row of a contiguous F32 tensor, and its backward
// pass, with the conventions of dev.kiln.composite.NormComposite: biased variance, rstd = 1/sqrt(var + eps),
// mean and rstd saved per row. weight and bias (trailing shape) may be null.
#include "kiln_common.cuh"
#include "kiln_block.cuh"

// One block per row; the variance is taken from the centered values (two passes), not E[x^2] - E[x]^2.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                   i64 rows, i64 cols, float eps) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float s = 0.f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        const float m = kiln_block_sum(s, scratch) / (float) cols;
        float v = 0.f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            const float c = xr[j] - m;
            v += c * c;
        }
        const float rs = rsqrtf(kiln_block_sum(v, scratch) / (float) cols + eps);
        float* yr = y + r * cols;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            float o = (xr[j] - m) * rs;
            if (weight) o *= weight[j];
            if (bias) o += bias[j];
            yr[j] = o;
        }
        if (threadIdx.x == 0) {
            mean[r] = m;
            rstd[r] = rs;
        }
    }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = gradOut * weight, per row.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
layer_norm_backward_input(const float* gy, const float* x, const float* mean, const float* rstd, const float* weight,
                          float* gx, i64 rows, i64 cols) {
    __shared__ float scratch[32];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        const float* gr = gy + r * cols;
        const float m = mean[r], rs = rstd[r];
        float sg = 0.f, sgx = 0.f;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            const float g = weight ? gr[j] * weight[j] : gr[j];
            sg += g;
            sgx += g * (xr[j] - m) * rs;
        }
        const float mg = kiln_block_sum(sg, scratch) / (float) cols;
        const float mgx = kiln_block_sum(sgx, scratch) / (float) cols;
        float* dx = gx + r * cols;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            const float g = weight ? gr[j] * weight[j] : gr[j];
            dx[j] = rs * (g - mg - (xr[j] - m) * rs * mgx);
        }
    }
}

// dweight[j] = sum_r gradOut[r, j] * xhat[r, j], dbias[j] = sum_r gradOut[r, j]; one thread per column,
// accumulated in double so the error does not grow with the row count. Either output may be null.
extern "C" __global__ void layer_norm_backward_params(const float* gy, const float* x, const float* mean,
                                                      const float* rstd, float* dweight, float* dbias, i64 rows,
                                                      i64 cols) {
    KILN_FOR_EACH(j, cols) {
        double dw = 0, db = 0;
        for (i64 r = 0; r < rows; ++r) {
            const float g = gy[r * cols + j];
            dw += (double) g * ((x[r * cols + j] - mean[r]) * rstd[r]);
            db += g;
        }
        if (dweight) dweight[j] = (float) dw;
        if (dbias) dbias[j] = (float) db;
    }
}

// ---- batch norm over x [N, C, S...] contiguous, statistics per channel over N and S (count = N * S) ----

// One block per channel: batch mean and biased variance (two passes), out = (x - mean) * rstd * w + b,
// mean[c] and rstd[c] saved, running statistics (when given) updated in place with the unbiased variance.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
batch_norm_training(const float* x, const float* weight, const float* bias, float* runningMean, float* runningVar,
                    float* y, float* mean, float* rstd, i64 n, int channels, i64 spatial, float momentum, float eps) {
    __shared__ float scratch[32];
    const i64 count = n * spatial;
    for (int c = blockIdx.x; c < channels; c += gridDim.x) {
        float s = 0.f;
        for (i64 e = threadIdx.x; e < count; e += blockDim.x) s += x[((e / spatial) * channels + c) * spatial + e % spatial];
        const float m = kiln_block_sum(s, scratch) / (float) count;
        float v = 0.f;
        for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
            const float d = x[((e / spatial) * channels + c) * spatial + e % spatial] - m;
            v += d * d;
        }
        const float var = kiln_block_sum(v, scratch) / (float) count;
        const float rs = rsqrtf(var + eps);
        const float w = weight ? weight[c] : 1.f, b = bias ? bias[c] : 0.f;
        for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
            const i64 k = ((e / spatial) * channels + c) * spatial + e % spatial;
            y[k] = (x[k] - m) * rs * w + b;
        }
        if (threadIdx.x == 0) {
            mean[c] = m;
            rstd[c] = rs;
            if (runningMean) runningMean[c] = runningMean[c] * (1.f - momentum) + m * momentum;
            if (runningVar) runningVar[c] = runningVar[c] * (1.f - momentum) + var * (momentum * (float) count / (float) (count - 1));
        }
    }
}

extern "C" __global__ void batch_norm_inference(const float* x, const float* weight, const float* bias,
                                                const float* runningMean, const float* runningVar, float* y, i64 total,
                                                int channels, i64 spatial, float eps) {
    KILN_FOR_EACH(k, total) {
        const int c = (int) ((k / spatial) % channels);
        float o = (x[k] - runningMean[c]) * rsqrtf(runningVar[c] + eps);
        if (weight) o *= weight[c];
        if (bias) o += bias[c];
        y[k] = o;
    }
}

// One block per channel: gradSum = sum g, gradDotXhat = sum g * xhat, then
// dx = (g - gradSum / count - xhat * gradDotXhat / count) * rstd * w; dweight = gradDotXhat, dbias = gradSum.
extern "C" __global__ void __launch_bounds__(KILN_BLOCK_THREADS)
batch_norm_backward(const float* gy, const float* x, const float* mean, const float* rstd, const float* weight,
                    float* gx, float* dweight, float* dbias, i64 n, int channels, i64 spatial) {
    __shared__ float scratch[32];
    const i64 count = n * spatial;
    for (int c = blockIdx.x; c < channels; c += gridDim.x) {
        const float m = mean[c], rs = rstd[c];
        float sg = 0.f, sgx = 0.f;
        for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
            const i64 k = ((e / spatial) * channels + c) * spatial + e % spatial;
            sg += gy[k];
            sgx += gy[k] * (x[k] - m) * rs;
        }
        const float gradSum = kiln_block_sum(sg, scratch), gradDot = kiln_block_sum(sgx, scratch);
        const float scale = rs * (weight ? weight[c] : 1.f);
        for (i64 e = threadIdx.x; e < count; e += blockDim.x) {
            const i64 k = ((e / spatial) * channels + c) * spatial + e % spatial;
            gx[k] = (gy[k] - gradSum / count - (x[k] - m) * rs * gradDot / count) * scale;
        }
        if (threadIdx.x == 0) {
            if (dweight) dweight[c] = gradDot;
            if (dbias) dbias[c] = gradSum;
        }
    }
}

// ---- local response norm across channels of x [N, C, S...]: D = k + alpha / size * sum x^2 over the window
// [c - size/2, c + (size-1)/2] (zero outside), out = x / D^beta ----

__device__ __forceinline__ float lrn_denominator(const float* x, i64 base, int c, int channels, i64 spatial, int size,
                                                 float alpha, float k) {
    float s = 0.f;
    for (int o = c - size / 2; o <= c + (size - 1) / 2; ++o) {
        if (o < 0 || o >= channels) continue;
        const float v = x[base + (i64) o * spatial];
        s += v * v;
    }
    return k + alpha / size * s;
}

extern "C" __global__ void lrn_forward(const float* x, float* y, i64 total, int channels, i64 spatial, int size,
                                       float alpha, float beta, float k) {
    KILN_FOR_EACH(i, total) {
        const int c = (int) ((i / spatial) % channels);
        const i64 base = i - (i64) c * spatial;   // channel 0 of this (n, s)
        y[i] = x[i] / powf(lrn_denominator(x, base, c, channels, spatial, size, alpha, k), beta);
    }
}

// dx = g / D^beta - 2 alpha beta / size * x * sum over the channels c' whose window holds c of g * out / D at c'.
extern "C" __global__ void lrn_backward(const float* gy, const float* x, const float* y, float* gx, i64 total,
                                        int channels, i64 spatial, int size, float alpha, float beta, float k) {
    KILN_FOR_EACH(i, total) {
        const int c = (int) ((i / spatial) % channels);
        const i64 base = i - (i64) c * spatial;
        float back = 0.f;
        for (int o = c - (size - 1) / 2; o <= c + size / 2; ++o) {
            if (o < 0 || o >= channels) continue;
            const i64 j = base + (i64) o * spatial;
            back += gy[j] * y[j] / lrn_denominator(x, base, o, channels, spatial, size, alpha, k);
        }
        const float d = lrn_denominator(x, base, c, channels, spatial, size, alpha, k);
        gx[i] = gy[i] / powf(d, beta) - 2.f * alpha * beta / size * x[i] * back;
    }
}
