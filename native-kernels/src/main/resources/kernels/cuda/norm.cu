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
