// Per-channel normalizations over contiguous F32 [N, C, inner...], one work item per element.

// Batch norm with running statistics: (x - mean) / sqrt(var + eps) * weight + bias.
__kernel void batch_norm_inference(long n, int C, long inner, float eps,
                                   __global const float* x, long offX,
                                   __global const float* mean, long offM, __global const float* var, long offV,
                                   int hasWeight, __global const float* weight, long offW,
                                   int hasBias, __global const float* bias, long offB,
                                   __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= n) return;
    int c = (int) ((i / inner) % C);
    float v = (x[offX + i] - mean[offM + c]) / sqrt(var[offV + c] + eps);
    if (hasWeight) v *= weight[offW + c];
    if (hasBias) v += bias[offB + c];
    y[offY + i] = v;
}

// Local response norm across channels, as torch.nn.LocalResponseNorm: the window of size channels
// runs from c - size/2 to c + (size-1)/2, zero-padded, and the average of squares divides by size.
__kernel void lrn_forward(long n, int C, long inner, int size, float alpha, float beta, float k,
                          __global const float* x, long offX, __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= n) return;
    int c = (int) ((i / inner) % C);
    long base = offX + i - (long) c * inner;
    int lo = max(0, c - size / 2), hi = min(C - 1, c + (size - 1) / 2);
    float sum = 0.0f;
    for (int j = lo; j <= hi; j++) {
        float v = x[base + (long) j * inner];
        sum += v * v;
    }
    y[offY + i] = x[offX + i] / pow(k + alpha / (float) size * sum, beta);
}

// Layer norm over the last `len` elements of contiguous F32 rows, one work item per row (a CPU
// driver vectorizes across rows). Two passes over the row: a Kahan-summed mean, then the variance of
// x - mean with the mean corrected by the residual sum of x - mean (the corrected two-pass
// algorithm), so a mean large against the spread neither cancels the variance nor shifts the
// output. mean and rstd hold one value per row.
__kernel void layer_norm_forward(long rows, long len, float eps, __global const float* x, long offX,
                                 int hasWeight, __global const float* weight, long offW,
                                 int hasBias, __global const float* bias, long offB,
                                 __global float* y, long offY, __global float* mean, long offM,
                                 __global float* rstd, long offR) {
    long r = get_global_id(0);
    if (r >= rows) return;
    __global const float* xr = x + offX + r * len;
    __global float* yr = y + offY + r * len;
    float sum = 0.0f, lost = 0.0f;
    for (long i = 0; i < len; i++) {
        float t = xr[i] - lost, next = sum + t;
        lost = (next - sum) - t;
        sum = next;
    }
    float mu = sum / (float) len;
    float residual = 0.0f, sq = 0.0f;
    for (long i = 0; i < len; i++) {
        float d = xr[i] - mu;
        residual += d;
        sq = fma(d, d, sq);
    }
    const float shift = residual / (float) len;
    mu += shift;
    float rs = rsqrt(fmax(sq / (float) len - shift * shift, 0.0f) + eps);
    for (long i = 0; i < len; i++) {
        float v = (xr[i] - mu) * rs;
        if (hasWeight) v *= weight[offW + i];
        if (hasBias) v += bias[offB + i];
        yr[i] = v;
    }
    mean[offM + r] = mu;
    rstd[offR + r] = rs;
}

// The input gradient of layer norm, one work item per row: with xhat = (x - mean) * rstd and
// g = gradOut * weight, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
__kernel void layer_norm_backward_input(long rows, long len, __global const float* gradOut, long offG,
                                        __global const float* x, long offX,
                                        __global const float* mean, long offM, __global const float* rstd, long offR,
                                        int hasWeight, __global const float* weight, long offW,
                                        __global float* dx, long offD) {
    long r = get_global_id(0);
    if (r >= rows) return;
    __global const float* gr = gradOut + offG + r * len;
    __global const float* xr = x + offX + r * len;
    __global float* dr = dx + offD + r * len;
    const float mu = mean[offM + r], rs = rstd[offR + r];
    float sumG = 0.0f, sumGX = 0.0f;
    for (long i = 0; i < len; i++) {
        float g = hasWeight ? gr[i] * weight[offW + i] : gr[i];
        sumG += g;
        sumGX = fma(g, (xr[i] - mu) * rs, sumGX);
    }
    const float meanG = sumG / (float) len, meanGX = sumGX / (float) len;
    for (long i = 0; i < len; i++) {
        float g = hasWeight ? gr[i] * weight[offW + i] : gr[i];
        float xhat = (xr[i] - mu) * rs;
        dr[i] = rs * (g - meanG - xhat * meanGX);
    }
}

// The weight and bias gradients of layer norm, one work item per normalized element: sums over
// the rows of gradOut * xhat and of gradOut (either output may be skipped).
__kernel void layer_norm_backward_params(long rows, long len, __global const float* gradOut, long offG,
                                         __global const float* x, long offX,
                                         __global const float* mean, long offM, __global const float* rstd, long offR,
                                         int wantWeight, __global float* dw, long offW,
                                         int wantBias, __global float* db, long offB) {
    long i = get_global_id(0);
    if (i >= len) return;
    float sw = 0.0f, sb = 0.0f;
    for (long r = 0; r < rows; r++) {
        float g = gradOut[offG + r * len + i];
        sb += g;
        sw = fma(g, (x[offX + r * len + i] - mean[offM + r]) * rstd[offR + r], sw);
    }
    if (wantWeight) dw[offW + i] = sw;
    if (wantBias) db[offB + i] = sb;
}
