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
