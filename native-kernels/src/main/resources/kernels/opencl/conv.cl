// 2-d convolution around the backend's GEMM: im2col lays a chunk of images of contiguous F32
// x [N, C, H, W] out as columns [images, C * KH * KW, OH * OW] (rows (c, kh, kw), so group g's
// rows are one contiguous block), col2im sums columns back into images, and a bias is added per
// output channel. One work item per written element everywhere: col2im gathers every column
// element that touches its input element, so overlapping windows need no atomics and the sums
// are deterministic.

__kernel void conv_im2col(long total, int C, int H, int W, int KH, int KW, int OH, int OW,
                          int sH, int sW, int pH, int pW, int dH, int dW,
                          __global const float* x, long offX, __global float* cols) {
    long i = get_global_id(0);
    if (i >= total) return;
    long P = (long) OH * OW;
    int p = (int) (i % P);
    long r = i / P;
    int kw = (int) (r % KW);
    r /= KW;
    int kh = (int) (r % KH);
    long plane = r / KH;   // image * C + channel
    int ih = (p / OW) * sH - pH + kh * dH, iw = (p % OW) * sW - pW + kw * dW;
    cols[i] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[offX + (plane * H + ih) * W + iw] : 0.0f;
}

// Output positions o in [0, O) of the windows whose tap k lands on input position i: o * s - p + k * d == i.
inline int kiln_conv_tap(int i, int p, int k, int d, int s, int O) {
    int t = i + p - k * d;
    if (t < 0 || t % s != 0) return -1;
    t /= s;
    return t < O ? t : -1;
}

__kernel void conv_col2im(long total, int C, int H, int W, int KH, int KW, int OH, int OW,
                          int sH, int sW, int pH, int pW, int dH, int dW,
                          __global const float* cols, __global float* dx, long offDx) {
    long i = get_global_id(0);
    if (i >= total) return;
    int iw = (int) (i % W);
    long r = i / W;
    int ih = (int) (r % H);
    long plane = r / H;   // image * C + channel
    long P = (long) OH * OW;
    float s = 0.0f;
    for (int kh = 0; kh < KH; kh++) {
        int oh = kiln_conv_tap(ih, pH, kh, dH, sH, OH);
        if (oh < 0) continue;
        for (int kw = 0; kw < KW; kw++) {
            int ow = kiln_conv_tap(iw, pW, kw, dW, sW, OW);
            if (ow < 0) continue;
            s += cols[((plane * KH + kh) * KW + kw) * P + (long) oh * OW + ow];
        }
    }
    dx[offDx + i] = s;
}

// y [N, OC, P] += bias[oc].
__kernel void conv_bias_add(long total, int OC, long P, __global const float* bias, long offB,
                            __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= total) return;
    y[offY + i] += bias[offB + (i / P) % OC];
}

// Direct convolution for layers whose im2col rows are few (cg * KH * KW small: a first layer on one
// channel, depthwise filters), where building columns costs more than the multiply-adds. Forward: one
// work item per output element (n, oc, oh, ow) loops its window over the group's channels, bias
// included (hasBias 0: none). w is [OC, C / groups, KH, KW].
__kernel void conv_direct_forward(long total, int C, int H, int W, int KH, int KW, int OH, int OW,
                                  int sH, int sW, int pH, int pW, int dH, int dW, int OC, int groups,
                                  __global const float* x, long offX, __global const float* w, long offW,
                                  int hasBias, __global const float* bias, long offB, __global float* y, long offY) {
    long i = get_global_id(0);
    if (i >= total) return;
    const int ow = (int) (i % OW);
    long r = i / OW;
    const int oh = (int) (r % OH);
    r /= OH;
    const int oc = (int) (r % OC);
    const long n = r / OC;
    const int cg = C / groups, c0 = (oc / (OC / groups)) * cg;
    const int ih0 = oh * sH - pH, iw0 = ow * sW - pW;
    __global const float* wo = w + offW + (long) oc * cg * KH * KW;
    float s = hasBias ? bias[offB + oc] : 0.0f;
    for (int c = 0; c < cg; c++) {
        __global const float* plane = x + offX + ((n * C) + c0 + c) * (long) H * W;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = ih0 + kh * dH;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = iw0 + kw * dW;
                if (iw < 0 || iw >= W) continue;
                s = fma(plane[ih * W + iw], wo[(c * KH + kh) * KW + kw], s);
            }
        }
    }
    y[offY + i] = s;
}

// Direct backward data: one work item per input element (n, c, ih, iw) gathers dy * w over the
// group's output channels and the taps that land on it (no atomics, deterministic).
__kernel void conv_direct_backward_data(long total, int C, int H, int W, int KH, int KW, int OH, int OW,
                                        int sH, int sW, int pH, int pW, int dH, int dW, int OC, int groups,
                                        __global const float* dy, long offDy, __global const float* w, long offW,
                                        __global float* dx, long offDx) {
    long i = get_global_id(0);
    if (i >= total) return;
    const int iw = (int) (i % W);
    long r = i / W;
    const int ih = (int) (r % H);
    r /= H;
    const int c = (int) (r % C);
    const long n = r / C;
    const int cg = C / groups, ocg = OC / groups, g = c / cg, cIn = c - g * cg;
    float s = 0.0f;
    for (int o = 0; o < ocg; o++) {
        const int oc = g * ocg + o;
        __global const float* plane = dy + offDy + (n * OC + oc) * (long) OH * OW;
        __global const float* wk = w + offW + ((long) oc * cg + cIn) * KH * KW;
        for (int kh = 0; kh < KH; kh++) {
            const int oh = kiln_conv_tap(ih, pH, kh, dH, sH, OH);
            if (oh < 0) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int ow = kiln_conv_tap(iw, pW, kw, dW, sW, OW);
                if (ow < 0) continue;
                s = fma(plane[oh * OW + ow], wk[kh * KW + kw], s);
            }
        }
    }
    dx[offDx + i] = s;
}
