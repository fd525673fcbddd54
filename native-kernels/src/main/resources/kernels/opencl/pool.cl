// 2-d max and average pooling over contiguous F32 [N, C, H, W], with PyTorch's window rules
// (padding, ceil mode, count_include_pad). One work item per output element forward, and one per
// input element backward: it sums the gradients of the windows that cover it, so overlapping
// windows need no atomics and the result is deterministic.


// First maximum of window (oh, ow) as a flat index into the H*W plane; NaN counts as the maximum.
inline int kiln_window_argmax(__global const float* plane, int oh, int ow, int H, int W, int kH, int kW,
                              int sH, int sW, int pH, int pW) {
    int hs = oh * sH - pH, ws = ow * sW - pW;
    int he = min(hs + kH, H), we = min(ws + kW, W);
    hs = max(hs, 0);
    ws = max(ws, 0);
    float best = -INFINITY;
    int at = hs * W + ws;
    for (int ih = hs; ih < he; ih++) {
        for (int iw = ws; iw < we; iw++) {
            float v = plane[ih * W + iw];
            if (v > best || (isnan(v) && !isnan(best))) { best = v; at = ih * W + iw; }
        }
    }
    return at;
}

// The divisor of average window (oh, ow).
inline int kiln_window_count(int oh, int ow, int H, int W, int kH, int kW, int sH, int sW, int pH, int pW, int includePad) {
    int hs = oh * sH - pH, ws = ow * sW - pW;
    int he = min(hs + kH, H + pH), we = min(ws + kW, W + pW);
    int padded = (he - hs) * (we - ws);
    hs = max(hs, 0);
    ws = max(ws, 0);
    he = min(he, H);
    we = min(we, W);
    return includePad ? padded : (he - hs) * (we - ws);
}

__kernel void max_pool_forward(long n, int H, int W, int OH, int OW, int kH, int kW, int sH, int sW, int pH, int pW,
                               __global const float* x, long offX, __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= n) return;
    int ow = (int) (i % OW), oh = (int) ((i / OW) % OH);
    long plane = i / ((long) OH * OW);
    __global const float* xp = x + offX + plane * H * W;
    y[offY + i] = xp[kiln_window_argmax(xp, oh, ow, H, W, kH, kW, sH, sW, pH, pW)];
}

// Windows covering input row ih: oh in [lo, hi].
inline int2 kiln_cover(int ih, int p, int k, int s, int OH) {
    int a = ih + p - k + 1;
    int lo = a <= 0 ? 0 : (a + s - 1) / s;
    int hi = min(OH - 1, (ih + p) / s);
    return (int2) (lo, hi);
}

__kernel void max_pool_backward(long n, int H, int W, int OH, int OW, int kH, int kW, int sH, int sW, int pH, int pW,
                                __global const float* x, long offX, __global const float* g, long offG,
                                __global float* dx, long offD) {
    long i = get_global_id(0);
    if (i >= n) return;
    int iw = (int) (i % W), ih = (int) ((i / W) % H);
    long plane = i / ((long) H * W);
    __global const float* xp = x + offX + plane * H * W;
    __global const float* gp = g + offG + plane * OH * OW;
    int2 rh = kiln_cover(ih, pH, kH, sH, OH), rw = kiln_cover(iw, pW, kW, sW, OW);
    float sum = 0.0f;
    for (int oh = rh.x; oh <= rh.y; oh++) {
        for (int ow = rw.x; ow <= rw.y; ow++) {
            if (kiln_window_argmax(xp, oh, ow, H, W, kH, kW, sH, sW, pH, pW) == ih * W + iw) sum += gp[oh * OW + ow];
        }
    }
    dx[offD + i] = sum;
}

__kernel void avg_pool_forward(long n, int H, int W, int OH, int OW, int kH, int kW, int sH, int sW, int pH, int pW,
                               int includePad, __global const float* x, long offX, __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= n) return;
    int ow = (int) (i % OW), oh = (int) ((i / OW) % OH);
    long plane = i / ((long) OH * OW);
    __global const float* xp = x + offX + plane * H * W;
    int hs = max(oh * sH - pH, 0), ws = max(ow * sW - pW, 0);
    int he = min(oh * sH - pH + kH, H), we = min(ow * sW - pW + kW, W);
    float sum = 0.0f;
    for (int ih = hs; ih < he; ih++)
        for (int iw = ws; iw < we; iw++) sum += xp[ih * W + iw];
    y[offY + i] = sum / (float) kiln_window_count(oh, ow, H, W, kH, kW, sH, sW, pH, pW, includePad);
}

__kernel void avg_pool_backward(long n, int H, int W, int OH, int OW, int kH, int kW, int sH, int sW, int pH, int pW,
                                int includePad, __global const float* g, long offG, __global float* dx, long offD) {
    long i = get_global_id(0);
    if (i >= n) return;
    int iw = (int) (i % W), ih = (int) ((i / W) % H);
    long plane = i / ((long) H * W);
    __global const float* gp = g + offG + plane * OH * OW;
    int2 rh = kiln_cover(ih, pH, kH, sH, OH), rw = kiln_cover(iw, pW, kW, sW, OW);
    float sum = 0.0f;
    for (int oh = rh.x; oh <= rh.y; oh++) {
        for (int ow = rw.x; ow <= rw.y; ow++) {
            sum += gp[oh * OW + ow] / (float) kiln_window_count(oh, ow, H, W, kH, kW, sH, sW, pH, pW, includePad);
        }
    }
    dx[offD + i] = sum;
}

// Adaptive average pooling, torch.nn.AdaptiveAvgPool2d: output row i averages input rows
// [floor(i H / OH), ceil((i + 1) H / OH)), columns alike. Forward one work item per output element.
inline int kiln_adaptive_start(int i, int in, int out) { return (int) ((long) i * in / out); }

inline int kiln_adaptive_end(int i, int in, int out) { return (int) (((long) (i + 1) * in + out - 1) / out); }

__kernel void adaptive_avg_pool_forward(long n, int H, int W, int OH, int OW,
                                        __global const float* x, long offX, __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= n) return;
    int ow = (int) (i % OW), oh = (int) ((i / OW) % OH);
    long plane = i / ((long) OW * OH);
    __global const float* p = x + offX + plane * H * W;
    int hs = kiln_adaptive_start(oh, H, OH), he = kiln_adaptive_end(oh, H, OH);
    int ws = kiln_adaptive_start(ow, W, OW), we = kiln_adaptive_end(ow, W, OW);
    float sum = 0.0f;
    for (int h = hs; h < he; h++) {
        for (int w = ws; w < we; w++) sum += p[h * W + w];
    }
    y[offY + i] = sum / (float) ((he - hs) * (we - ws));
}

// Backward one work item per input element: the sum of gradOut / window size over the output
// windows that hold it. Output row i holds input row h exactly when floor(h OH / H) <= i <
// ceil((h + 1) OH / H); the bounds are checked again, so rounding cannot add a window.
__kernel void adaptive_avg_pool_backward(long n, int H, int W, int OH, int OW,
                                         __global const float* gradOut, long offG, __global float* dx, long offD) {
    long i = get_global_id(0);
    if (i >= n) return;
    int w = (int) (i % W), h = (int) ((i / W) % H);
    long plane = i / ((long) W * H);
    __global const float* g = gradOut + offG + plane * OH * OW;
    int ohLo = kiln_adaptive_start(h, OH, H), ohHi = min(OH, kiln_adaptive_end(h, OH, H));
    int owLo = kiln_adaptive_start(w, OW, W), owHi = min(OW, kiln_adaptive_end(w, OW, W));
    float sum = 0.0f;
    for (int oh = ohLo; oh < ohHi; oh++) {
        int hs = kiln_adaptive_start(oh, H, OH), he = kiln_adaptive_end(oh, H, OH);
        if (h < hs || h >= he) continue;
        for (int ow = owLo; ow < owHi; ow++) {
            int ws = kiln_adaptive_start(ow, W, OW), we = kiln_adaptive_end(ow, W, OW);
            if (w < ws || w >= we) continue;
            sum += g[oh * OW + ow] / (float) ((he - hs) * (we - ws));
        }
    }
    dx[offD + i] = sum;
}
