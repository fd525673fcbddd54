// Softmax family along one axis of a contiguous F32 tensor seen as [outer, len, inner]: one work
// item per (outer, inner) row, which reads its row with stride inner (so neighbouring work items
// read neighbouring elements when inner > 1).
// mode 0: softmax, 1: log-softmax (x is the input);
// mode 2: softmax backward, 3: log-softmax backward (x is the forward output, g the output gradient).

#define SOFTMAX 0
#define LOG_SOFTMAX 1
#define SOFTMAX_BACKWARD 2
#define LOG_SOFTMAX_BACKWARD 3

__kernel void softmax_rows(int mode, long rows, long len, long inner,
                           __global const float* x, long offX, __global const float* g, long offG,
                           __global float* y, long offY) {
    long r = get_global_id(0);
    if (r >= rows) return;
    long base = (r / inner) * len * inner + (r % inner);
    x += offX + base;
    g += offG + base;
    y += offY + base;
    if (mode == SOFTMAX || mode == LOG_SOFTMAX) {
        float m = -INFINITY;
        for (long j = 0; j < len; j++) m = fmax(m, x[j * inner]);   // a NaN makes every exp below NaN
        if (isinf(m) && m < 0) m = 0.0f;                              // an all -inf row gives NaN, as torch
        float s = 0.0f, c = 0.0f;                                      // Kahan sum of exp(x - max)
        for (long j = 0; j < len; j++) {
            float v = exp(x[j * inner] - m) - c;
            float t = s + v;
            c = (t - s) - v;
            s = t;
        }
        if (mode == SOFTMAX) {
            float inv = 1.0f / s;
            for (long j = 0; j < len; j++) y[j * inner] = exp(x[j * inner] - m) * inv;
        } else {
            float shift = m + log(s);
            for (long j = 0; j < len; j++) y[j * inner] = x[j * inner] - shift;
        }
    } else {
        float s = 0.0f, c = 0.0f;                                      // sum(g * out) or sum(g)
        for (long j = 0; j < len; j++) {
            float term = mode == SOFTMAX_BACKWARD ? g[j * inner] * x[j * inner] : g[j * inner];
            float v = term - c;
            float t = s + v;
            c = (t - s) - v;
            s = t;
        }
        if (mode == SOFTMAX_BACKWARD) {
            for (long j = 0; j < len; j++) y[j * inner] = x[j * inner] * (g[j * inner] - s);
        } else {
            for (long j = 0; j < len; j++) y[j * inner] = g[j * inner] - exp(x[j * inner]) * s;
        }
    }
}
