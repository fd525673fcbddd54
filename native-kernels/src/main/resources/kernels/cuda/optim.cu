// Fused optimizer updates, elementwise over contiguous F32 parameters, as torch.optim computes them.
#include "kiln_common.cuh"

// torch.optim.SGD: d = g + wd * p; with momentum, buf = d on the first step, else
// buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf; p -= lr * d.
// The host passes 1 - dampening, computed in double.
extern "C" __global__ void sgd_step(float* p, const float* g, float* buf, i64 n, float lr, float momentum,
                                    float oneMinusDampening, float weightDecay, int nesterov, int firstStep) {
    KILN_FOR_EACH(i, n) {
        float d = g[i];
        if (weightDecay != 0.f) d += weightDecay * p[i];
        if (momentum != 0.f) {
            float b = firstStep ? d : momentum * buf[i] + oneMinusDampening * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        p[i] -= lr * d;
    }
}

// torch.optim.Adam / AdamW. The host computes in double and passes as float: 1 - beta1, beta2 and
// 1 - beta2 (1 - (float) 0.999 would be 1.3e-5 off), decay = 1 - lr * wd for AdamW,
// stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t).
extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, i64 n, float oneMinusBeta1,
                                     float beta2, float oneMinusBeta2, float eps, float weightDecay, int decoupled,
                                     float decay, float stepSize, float bc2Sqrt) {
    KILN_FOR_EACH(i, n) {
        float grad = g[i];
        float param = p[i];
        if (weightDecay != 0.f) {
            if (decoupled) param *= decay;
            else grad += weightDecay * param;
        }
        float mi = m[i] + oneMinusBeta1 * (grad - m[i]);   // lerp, as torch does
        float vi = beta2 * v[i] + oneMinusBeta2 * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] = param - stepSize * mi / (sqrtf(vi) / bc2Sqrt + eps);
    }
}
