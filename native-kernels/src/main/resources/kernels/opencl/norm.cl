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

// ---- batch norm in training: one work-group of KILN_WG work items per channel ----
// The host builds this file with KILN_WG (a power of two, at most the device's work-group size).

// Sum of the work-group's values (every work item gets it); scratch holds KILN_WG floats.
inline float kiln_group_sum(float v, __local float* scratch) {
    int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = KILN_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);   // scratch is reused by the next sum
    return total;
}

// Element j of channel c's N x inner values in [N, C, inner].
#define KILN_BN_AT(j) ((((j) / inner) * C + c) * inner + (j) % inner)

// Batch statistics of channel c (biased variance, by the corrected two-pass algorithm: a mean large
// against the spread cancels nothing), y = (x - mean) * rstd * weight + bias, mean and rstd saved per
// channel, and the running statistics updated in place: r = (1 - momentum) r + momentum * batch, the
// variance unbiased (the host passes keep = 1 - momentum and varMomentum = momentum * count / (count - 1),
// computed in double).
__kernel __attribute__((reqd_work_group_size(KILN_WG, 1, 1)))
void batch_norm_training(long N, int C, long inner, float eps, float keep, float momentum, float varMomentum,
                         __global const float* x, long offX,
                         int hasWeight, __global const float* weight, long offW,
                         int hasBias, __global const float* bias, long offB,
                         int hasRunMean, __global float* runMean, long offRM,
                         int hasRunVar, __global float* runVar, long offRV,
                         __global float* y, long offY, __global float* mean, long offM, __global float* rstd, long offR) {
    __local float scratch[KILN_WG];
    const int c = get_group_id(0), lid = get_local_id(0);
    const long count = N * inner;
    x += offX;
    y += offY;
    float sum = 0.0f, lost = 0.0f;                      // Kahan, per work item
    for (long j = lid; j < count; j += KILN_WG) {
        float t = x[KILN_BN_AT(j)] - lost, next = sum + t;
        lost = (next - sum) - t;
        sum = next;
    }
    float mu = kiln_group_sum(sum, scratch) / (float) count;
    float residual = 0.0f, sq = 0.0f;
    for (long j = lid; j < count; j += KILN_WG) {
        float d = x[KILN_BN_AT(j)] - mu;
        residual += d;
        sq = fma(d, d, sq);
    }
    residual = kiln_group_sum(residual, scratch);
    sq = kiln_group_sum(sq, scratch);
    const float shift = residual / (float) count;
    const float var = fmax(sq / (float) count - shift * shift, 0.0f);
    mu += shift;
    const float rs = rsqrt(var + eps);
    const float scale = hasWeight ? rs * weight[offW + c] : rs;
    const float b = hasBias ? bias[offB + c] : 0.0f;
    for (long j = lid; j < count; j += KILN_WG) {
        long at = KILN_BN_AT(j);
        y[at] = (x[at] - mu) * scale + b;
    }
    if (lid == 0) {
        mean[offM + c] = mu;
        rstd[offR + c] = rs;
        if (hasRunMean) runMean[offRM + c] = keep * runMean[offRM + c] + momentum * mu;
        if (hasRunVar) runVar[offRV + c] = keep * runVar[offRV + c] + varMomentum * var;
    }
}

// Batch norm's gradients for channel c: with xhat = (x - mean) rstd, sums sumG = sum(g) and
// sumGX = sum(g xhat) over the channel; dx = (g - sumG / count - xhat sumGX / count) rstd weight,
// dweight = sumGX, dbias = sumG (either skipped when absent).
__kernel __attribute__((reqd_work_group_size(KILN_WG, 1, 1)))
void batch_norm_backward(long N, int C, long inner, __global const float* gradOut, long offG,
                         __global const float* x, long offX,
                         __global const float* mean, long offM, __global const float* rstd, long offR,
                         int hasWeight, __global const float* weight, long offW,
                         __global float* dx, long offD, int wantWeight, __global float* dw, long offDW,
                         int wantBias, __global float* db, long offDB) {
    __local float scratch[KILN_WG];
    const int c = get_group_id(0), lid = get_local_id(0);
    const long count = N * inner;
    gradOut += offG;
    x += offX;
    dx += offD;
    const float mu = mean[offM + c], rs = rstd[offR + c];
    float sumG = 0.0f, sumGX = 0.0f;
    for (long j = lid; j < count; j += KILN_WG) {
        long at = KILN_BN_AT(j);
        float g = gradOut[at];
        sumG += g;
        sumGX = fma(g, (x[at] - mu) * rs, sumGX);
    }
    sumG = kiln_group_sum(sumG, scratch);
    sumGX = kiln_group_sum(sumGX, scratch);
    const float meanG = sumG / (float) count, meanGX = sumGX / (float) count;
    const float scale = hasWeight ? rs * weight[offW + c] : rs;
    for (long j = lid; j < count; j += KILN_WG) {
        long at = KILN_BN_AT(j);
        float xhat = (x[at] - mu) * rs;
        dx[at] = (gradOut[at] - meanG - xhat * meanGX) * scale;
    }
    if (lid == 0) {
        if (wantWeight) dw[offDW + c] = sumGX;
        if (wantBias) db[offDB + c] = sumG;
    }
}

// Local response norm's input gradient, one work item per element (PyTorch's window as in
// lrn_forward): dx_c = g_c / D_c^beta - 2 alpha beta / size * x_c * sum_j g_j out_j / D_j over the
// channels j whose window holds c, i.e. j in [c - (size-1)/2, c + size/2].
inline float kiln_lrn_denominator(__global const float* base, long inner, int C, int c, int size, float alpha, float k) {
    int lo = max(0, c - size / 2), hi = min(C - 1, c + (size - 1) / 2);
    float sum = 0.0f;
    for (int j = lo; j <= hi; j++) {
        float v = base[(long) j * inner];
        sum += v * v;
    }
    return k + alpha / (float) size * sum;
}

__kernel void lrn_backward(long n, int C, long inner, int size, float alpha, float beta, float k,
                           __global const float* gradOut, long offG, __global const float* x, long offX,
                           __global const float* out, long offO, __global float* dx, long offD) {
    long i = get_global_id(0);
    if (i >= n) return;
    int c = (int) ((i / inner) % C);
    long plane = i - (long) c * inner;                 // element i at channel 0
    __global const float* xb = x + offX + plane;
    float back = 0.0f;
    int lo = max(0, c - (size - 1) / 2), hi = min(C - 1, c + size / 2);
    for (int j = lo; j <= hi; j++) {
        long at = plane + (long) j * inner;
        back += gradOut[offG + at] * out[offO + at] / kiln_lrn_denominator(xb, inner, C, j, size, alpha, k);
    }
    float d = kiln_lrn_denominator(xb, inner, C, c, size, alpha, k);
    dx[offD + i] = gradOut[offG + i] / pow(d, beta) - 2.0f * alpha * beta / (float) size * x[offX + i] * back;
}
