// Training kernels: cross-entropy forward and backward over logits [N, C] with I64 targets, as
// torch.nn.functional.cross_entropy (no class weights), and the fused optimizer steps of
// torch.optim.SGD and Adam/AdamW. Every operand is contiguous F32 (targets I64) at an element offset.

// Row r's maximum m and log(sum exp(x - m)) (Kahan-summed), kept apart: adding them would round the
// log-sum-exp to the logits' magnitude, and lse - x_j = (m - x_j) + logS is exact to float rounding of
// the small terms. A NaN anywhere makes m NaN; a row of -inf gives m = -inf (and NaN downstream).
inline float kiln_row_max_logsum(__global const float* x, int classes, float* logS, float* sumX) {
    float m = -INFINITY, sx = 0.0f;
    bool nan = false;
    for (int j = 0; j < classes; j++) {
        m = fmax(m, x[j]);
        sx += x[j];
        nan |= isnan(x[j]);
    }
    *sumX = sx;
    if (nan) m = NAN;
    float s = 0.0f, c = 0.0f;
    for (int j = 0; j < classes; j++) {
        float v = exp(x[j] - m) - c;
        float t = s + v;
        c = (t - s) - v;
        s = t;
    }
    *logS = log(s);
    return m;
}

// loss[r] = (1 - e) (lse - x_t) + e (lse - mean_c x_c); valid[r] = 1 for a counted row, 0 for an
// ignored one (loss 0). A target outside [0, C) that is not ignoreIndex gives NaN, so it cannot pass
// unnoticed. One work item per row.
__kernel void cross_entropy_forward(long rows, int classes, long ignoreIndex, float smoothing,
                                    __global const float* logits, long offX, __global const long* target, long offT,
                                    __global float* loss, long offLoss, __global float* valid, long offValid) {
    long r = get_global_id(0);
    if (r >= rows) return;
    __global const float* x = logits + offX + r * classes;
    long t = target[offT + r];
    if (t == ignoreIndex) {
        loss[offLoss + r] = 0.0f;
        valid[offValid + r] = 0.0f;
        return;
    }
    valid[offValid + r] = 1.0f;
    if (t < 0 || t >= classes) {
        loss[offLoss + r] = NAN;
        return;
    }
    float logS, sumX;
    float m = kiln_row_max_logsum(x, classes, &logS, &sumX);
    float picked = (1.0f - smoothing) * ((m - x[t]) + logS);
    loss[offLoss + r] = smoothing == 0.0f ? picked : picked + smoothing * ((m - sumX / classes) + logS);
}

// grad[r, c] = g_r (softmax_c - (1 - e) [c == t] - e / C) for counted rows, 0 for ignored ones, with
// g_r = gradLoss[r * gradStride] / divisor (stride 0 for a scalar loss; divisor the count of counted
// rows for MEAN, else 1). One work item per row.
__kernel void cross_entropy_backward(long rows, int classes, long ignoreIndex, float smoothing,
                                     __global const float* logits, long offX, __global const long* target, long offT,
                                     __global const float* gradLoss, long offG, long gradStride,
                                     int hasDivisor, __global const float* divisor, long offDiv,
                                     __global float* grad, long offGrad) {
    long r = get_global_id(0);
    if (r >= rows) return;
    __global const float* x = logits + offX + r * classes;
    __global float* gx = grad + offGrad + r * classes;
    long t = target[offT + r];
    if (t == ignoreIndex) {
        for (int j = 0; j < classes; j++) gx[j] = 0.0f;
        return;
    }
    float logS, sumX;
    float m = kiln_row_max_logsum(x, classes, &logS, &sumX);
    float g = gradLoss[offG + r * gradStride];
    if (hasDivisor) g /= divisor[offDiv];
    bool inRange = t >= 0 && t < classes;
    for (int j = 0; j < classes; j++) {
        float d = exp((x[j] - m) - logS) - smoothing / classes - (j == t ? 1.0f - smoothing : 0.0f);
        gx[j] = inRange ? g * d : NAN;
    }
}

// torch.optim.SGD: d = g + wd p; with momentum, buf = d on the first step, else
// buf = momentum buf + (1 - dampening) d; d = nesterov ? d + momentum buf : buf; p -= lr d.
// The host passes 1 - dampening, computed in double.
__kernel void sgd_step(long n, float lr, float momentum, float oneMinusDampening, float weightDecay, int nesterov,
                       int firstStep, __global float* p, long offP, __global const float* g, long offG,
                       __global float* buf, long offBuf) {
    long i = get_global_id(0);
    if (i >= n) return;
    float d = g[offG + i];
    if (weightDecay != 0.0f) d += weightDecay * p[offP + i];
    if (momentum != 0.0f) {
        float b = firstStep ? d : momentum * buf[offBuf + i] + oneMinusDampening * d;
        buf[offBuf + i] = b;
        d = nesterov ? d + momentum * b : b;
    }
    p[offP + i] -= lr * d;
}

// torch.optim.Adam (L2 decay added to the gradient) and AdamW (decoupled: p *= 1 - lr wd first).
// The host computes in double and passes as float: 1 - beta1, beta2 and 1 - beta2 (1 - (float) 0.999
// would be 1.3e-5 off), decay = 1 - lr wd for AdamW, stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t).
__kernel void adam_step(long n, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float weightDecay,
                        int decoupled, float decay, float stepSize, float bc2Sqrt, __global float* p, long offP, __global const float* g, long offG,
                        __global float* m, long offM, __global float* v, long offV) {
    long i = get_global_id(0);
    if (i >= n) return;
    float grad = g[offG + i], param = p[offP + i];
    if (weightDecay != 0.0f) {
        if (decoupled) param *= decay;
        else grad += weightDecay * param;
    }
    float mi = m[offM + i] + oneMinusBeta1 * (grad - m[offM + i]);   // lerp, as torch does
    float vi = beta2 * v[offV + i] + oneMinusBeta2 * grad * grad;
    m[offM + i] = mi;
    v[offV + i] = vi;
    p[offP + i] = param - stepSize * mi / (sqrt(vi) / bc2Sqrt + eps);
}
