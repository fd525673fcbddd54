// One time step of an LSTM or GRU, fused: the gate math of torch.nn.LSTM / GRU over the step's input
// projection xg = x W_ih^T and recurrent product hg = h W_hh^T (both [N, gates * H], computed by the
// backend's GEMM), the biases, the state update, and the step record the backward reads (the layout
// of dev.kiln.composite.RnnComposite: LSTM i, f, g, o, c; GRU r, z, n, h W_hn^T + b_hn). One work item
// per (n, j) of [N, H]. Strided operands (a state slot, a direction's columns of a layer output) come
// as (buffer, offset, row stride) in elements.

// With KILN_FP64 (the device has cl_khr_fp64) the activations are evaluated in double and rounded
// once. The backward derives the slopes of saturated gates from these stored floats, s (1 - s) and
// (1 - t)(1 + t), which magnify an error of a few ulp in s or t (OpenCL's float exp, tanh and
// division may be 3 to 5 ulp off) by 1 / (1 - s): 1e-5 of the gradient at 1 - s = 0.01.
#ifdef KILN_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
inline float kiln_sigmoid(float v) { return (float) (1.0 / (1.0 + exp(-(double) v))); }
inline float kiln_tanh(float v) { return (float) tanh((double) v); }
#else
inline float kiln_sigmoid(float v) { return 1.0f / (1.0f + exp(-v)); }
inline float kiln_tanh(float v) { return tanh(v); }
#endif

// The derivatives from the activations, as s (1 - s) and (1 - t)(1 + t): 1 - s and 1 - t are exact
// for saturated gates, where s - s^2 and 1 - t^2 would lose the digits of a small slope.
inline float kiln_sigmoid_slope(float s) { return s * (1.0f - s); }

inline float kiln_tanh_slope(float t) { return (1.0f - t) * (1.0f + t); }

// c is the running cell state [N, H], updated in place; h_t goes to h (row stride hStride).
__kernel void lstm_step_forward(int N, int H, __global const float* xg, long offXg, __global const float* hg, long offHg,
                                __global const float* bih, long offBih, __global const float* bhh, long offBhh,
                                __global float* c, long offC, __global float* h, long offH, long hStride,
                                int keepRecord, __global float* rec, long offRec) {
    long e = get_global_id(0);
    if (e >= (long) N * H) return;
    const int n = (int) (e / H), j = (int) (e % H), G = 4 * H;
    xg += offXg + (long) n * G;
    hg += offHg + (long) n * G;
    bih += offBih;
    bhh += offBhh;
    const float i = kiln_sigmoid(xg[j] + hg[j] + bih[j] + bhh[j]);
    const float f = kiln_sigmoid(xg[H + j] + hg[H + j] + bih[H + j] + bhh[H + j]);
    const float g = kiln_tanh(xg[2 * H + j] + hg[2 * H + j] + bih[2 * H + j] + bhh[2 * H + j]);
    const float o = kiln_sigmoid(xg[3 * H + j] + hg[3 * H + j] + bih[3 * H + j] + bhh[3 * H + j]);
    const float cNext = f * c[offC + e] + i * g;
    c[offC + e] = cNext;
    h[offH + (long) n * hStride + j] = o * kiln_tanh(cNext);
    if (keepRecord) {
        __global float* r = rec + offRec + (long) n * 5 * H;
        r[j] = i;
        r[H + j] = f;
        r[2 * H + j] = g;
        r[3 * H + j] = o;
        r[4 * H + j] = cNext;
    }
}

// hPrev and h may be different rows of one layer output; each work item reads its own element of
// hPrev before writing its own element of h, and the two never alias.
__kernel void gru_step_forward(int N, int H, __global const float* xg, long offXg, __global const float* hg, long offHg,
                               __global const float* bih, long offBih, __global const float* bhh, long offBhh,
                               __global const float* hPrev, long offHPrev, long hPrevStride,
                               __global float* h, long offH, long hStride, int keepRecord, __global float* rec, long offRec) {
    long e = get_global_id(0);
    if (e >= (long) N * H) return;
    const int n = (int) (e / H), j = (int) (e % H), G = 3 * H;
    xg += offXg + (long) n * G;
    hg += offHg + (long) n * G;
    bih += offBih;
    bhh += offBhh;
    const float r = kiln_sigmoid(xg[j] + bih[j] + hg[j] + bhh[j]);
    const float z = kiln_sigmoid(xg[H + j] + bih[H + j] + hg[H + j] + bhh[H + j]);
    const float hn = hg[2 * H + j] + bhh[2 * H + j];
    const float nGate = kiln_tanh(xg[2 * H + j] + bih[2 * H + j] + r * hn);
    const float hp = hPrev[offHPrev + (long) n * hPrevStride + j];
    h[offH + (long) n * hStride + j] = nGate + z * (hp - nGate);
    if (keepRecord) {
        __global float* rr = rec + offRec + (long) n * 4 * H;
        rr[j] = r;
        rr[H + j] = z;
        rr[2 * H + j] = nGate;
        rr[3 * H + j] = hn;
    }
}

// Backward of one LSTM step: dhT = dh + the output gradient at t; from the record (i, f, g, o, c)
// and the previous cell state, writes the gate pre-activation gradients gx [N, 4H] and replaces dc by
// dc_{t-1} = dcT f. The host then computes dh_{t-1} = gx W_hh.
__kernel void lstm_step_backward(int N, int H, __global const float* dh, long offDh,
                                 __global const float* gout, long offGout, long goutStride,
                                 __global const float* rec, long offRec, __global const float* cPrev, long offCPrev, long cPrevStride,
                                 __global float* dc, long offDc, __global float* gx, long offGx) {
    long e = get_global_id(0);
    if (e >= (long) N * H) return;
    const int n = (int) (e / H), j = (int) (e % H);
    __global const float* r = rec + offRec + (long) n * 5 * H;
    const float i = r[j], f = r[H + j], g = r[2 * H + j], o = r[3 * H + j], c = r[4 * H + j];
    const float dhT = dh[offDh + e] + gout[offGout + (long) n * goutStride + j];
    const float tc = kiln_tanh(c);
    const float dcT = dc[offDc + e] + dhT * o * kiln_tanh_slope(tc);
    const float cp = cPrev[offCPrev + (long) n * cPrevStride + j];
    __global float* gr = gx + offGx + (long) n * 4 * H;
    gr[j] = dcT * g * kiln_sigmoid_slope(i);
    gr[H + j] = dcT * cp * kiln_sigmoid_slope(f);
    gr[2 * H + j] = dcT * i * kiln_tanh_slope(g);
    gr[3 * H + j] = dhT * tc * kiln_sigmoid_slope(o);
    dc[offDc + e] = dcT * f;
}

// Backward of one GRU step: gradients through the input projection gx = (dr, dz, dn) and through the
// recurrent product gh = (dr, dz, dn r), both [N, 3H]; dh is replaced by dhT z, to which the host adds
// gh W_hh.
__kernel void gru_step_backward(int N, int H, __global float* dh, long offDh,
                                __global const float* gout, long offGout, long goutStride,
                                __global const float* rec, long offRec, __global const float* hPrev, long offHPrev, long hPrevStride,
                                __global float* gx, long offGx, __global float* gh, long offGh) {
    long e = get_global_id(0);
    if (e >= (long) N * H) return;
    const int n = (int) (e / H), j = (int) (e % H);
    __global const float* rr = rec + offRec + (long) n * 4 * H;
    const float r = rr[j], z = rr[H + j], nGate = rr[2 * H + j], hn = rr[3 * H + j];
    const float dhT = dh[offDh + e] + gout[offGout + (long) n * goutStride + j];
    const float hp = hPrev[offHPrev + (long) n * hPrevStride + j];
    const float dz = dhT * (hp - nGate) * kiln_sigmoid_slope(z);
    const float dn = dhT * (1.0f - z) * kiln_tanh_slope(nGate);
    const float dr = dn * hn * kiln_sigmoid_slope(r);
    __global float* x = gx + offGx + (long) n * 3 * H;
    __global float* hh = gh + offGh + (long) n * 3 * H;
    x[j] = dr;
    x[H + j] = dz;
    x[2 * H + j] = dn;
    hh[j] = dr;
    hh[H + j] = dz;
    hh[2 * H + j] = dn * r;
    dh[offDh + e] = dhT * z;
}
