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
