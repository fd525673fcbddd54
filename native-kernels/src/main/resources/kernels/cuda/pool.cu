// 2-d max and average pooling over contiguous F32 NCHW tensors, forward and backward, with PyTorch's
// window rules (padding, ceil mode, count_include_pad). Backward passes gather per input element, so
// they need no atomics and give the same bits on every run.
#include "kiln_common.cuh"

struct PoolGeom {
    int h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad, pad;
};
static_assert(sizeof(PoolGeom) == 48, "PoolGeom layout must match PoolGeometry.pack()");

// Output row `o` covers input rows [o * s - p, o * s - p + k) clipped to [0, size).
__device__ __forceinline__ void pool_window(int o, int s, int p, int k, int size, int& start, int& end) {
    start = o * s - p;
    end = min(start + k, size);
    start = max(start, 0);
}

// First index of the window's maximum; NaN wins, the first NaN first. -1 for an empty window.
__device__ __forceinline__ int pool_argmax(const float* plane, const PoolGeom& g, int oy, int ox) {
    int hs, he, ws, we;
    pool_window(oy, g.sh, g.ph, g.kh, g.h, hs, he);
    pool_window(ox, g.sw, g.pw, g.kw, g.w, ws, we);
    int best = -1;
    float m = 0.f;
    for (int y = hs; y < he; ++y) {
        for (int x = ws; x < we; ++x) {
            const float v = plane[y * g.w + x];
            if (best < 0 || (v != v && m == m) || v > m) {
                best = y * g.w + x;
                m = v;
                if (v != v) return best;
            }
        }
    }
    return best;
}

extern "C" __global__ void max_pool_forward(const float* x, float* y, i64 planes, PoolGeom g) {
    const i64 n = planes * g.oh * g.ow;
    KILN_FOR_EACH(i, n) {
        const int ox = (int) (i % g.ow), oy = (int) ((i / g.ow) % g.oh);
        const i64 plane = i / ((i64) g.oh * g.ow);
        const float* xp = x + plane * g.h * g.w;
        const int a = pool_argmax(xp, g, oy, ox);
        y[i] = a < 0 ? -KILN_INF_F : xp[a];
    }
}

// dx[iy, ix] = sum of gradOut over the windows whose first maximum is (iy, ix).
extern "C" __global__ void max_pool_backward(const float* gy, const float* x, float* gx, i64 planes, PoolGeom g) {
    const i64 n = planes * g.h * g.w;
    KILN_FOR_EACH(i, n) {
        const int ix = (int) (i % g.w), iy = (int) ((i / g.w) % g.h);
        const i64 plane = i / ((i64) g.h * g.w);
        const float* xp = x + plane * g.h * g.w;
        const float* gp = gy + plane * g.oh * g.ow;
        // outputs whose window start o * s - p lies in (i - k, i]
        const int oy0 = max(0, (iy + g.ph - g.kh + g.sh) / g.sh), oy1 = min(g.oh - 1, (iy + g.ph) / g.sh);
        const int ox0 = max(0, (ix + g.pw - g.kw + g.sw) / g.sw), ox1 = min(g.ow - 1, (ix + g.pw) / g.sw);
        float acc = 0.f;
        for (int oy = oy0; oy <= oy1; ++oy) {
            for (int ox = ox0; ox <= ox1; ++ox) {
                if (pool_argmax(xp, g, oy, ox) == iy * g.w + ix) acc += gp[oy * g.ow + ox];
            }
        }
        gx[i] = acc;
    }
}

// PyTorch's divisor: the window clipped to the padded input when counting padding, else to the input.
__device__ __forceinline__ int avg_divisor(const PoolGeom& g, int oy, int ox) {
    int hs = oy * g.sh - g.ph, ws = ox * g.sw - g.pw;
    int he = min(hs + g.kh, g.h + g.ph), we = min(ws + g.kw, g.w + g.pw);
    const int padded = (he - hs) * (we - ws);
    hs = max(hs, 0);
    ws = max(ws, 0);
    he = min(he, g.h);
    we = min(we, g.w);
    return g.countIncludePad ? padded : (he - hs) * (we - ws);
}

extern "C" __global__ void avg_pool_forward(const float* x, float* y, i64 planes, PoolGeom g) {
    const i64 n = planes * g.oh * g.ow;
    KILN_FOR_EACH(i, n) {
        const int ox = (int) (i % g.ow), oy = (int) ((i / g.ow) % g.oh);
        const float* xp = x + (i / ((i64) g.oh * g.ow)) * g.h * g.w;
        int hs, he, ws, we;
        pool_window(oy, g.sh, g.ph, g.kh, g.h, hs, he);
        pool_window(ox, g.sw, g.pw, g.kw, g.w, ws, we);
        float s = 0.f;
        for (int yy = hs; yy < he; ++yy) for (int xx = ws; xx < we; ++xx) s += xp[yy * g.w + xx];
        const int div = avg_divisor(g, oy, ox);
        y[i] = div > 0 ? s / div : 0.f;
    }
}

extern "C" __global__ void avg_pool_backward(const float* gy, float* gx, i64 planes, PoolGeom g) {
    const i64 n = planes * g.h * g.w;
    KILN_FOR_EACH(i, n) {
        const int ix = (int) (i % g.w), iy = (int) ((i / g.w) % g.h);
        const float* gp = gy + (i / ((i64) g.h * g.w)) * g.oh * g.ow;
        const int oy0 = max(0, (iy + g.ph - g.kh + g.sh) / g.sh), oy1 = min(g.oh - 1, (iy + g.ph) / g.sh);
        const int ox0 = max(0, (ix + g.pw - g.kw + g.sw) / g.sw), ox1 = min(g.ow - 1, (ix + g.pw) / g.sw);
        float acc = 0.f;
        for (int oy = oy0; oy <= oy1; ++oy) {
            for (int ox = ox0; ox <= ox1; ++ox) {
                const int div = avg_divisor(g, oy, ox);
                if (div > 0) acc += gp[oy * g.ow + ox] / div;
            }
        }
        gx[i] = acc;
    }
}

// ---- adaptive average pooling (torch.nn.AdaptiveAvgPool2d): output row o averages input rows
// [floor(o * H / OH), ceil((o + 1) * H / OH)) ----

__device__ __forceinline__ int adaptive_start(int o, int in, int out) { return (int) (((i64) o * in) / out); }
__device__ __forceinline__ int adaptive_end(int o, int in, int out) { return (int) ((((i64) o + 1) * in + out - 1) / out); }

extern "C" __global__ void adaptive_avg_pool_forward(const float* x, float* y, i64 planes, int h, int w, int oh, int ow) {
    const i64 n = planes * oh * ow;
    KILN_FOR_EACH(i, n) {
        const int ox = (int) (i % ow), oy = (int) ((i / ow) % oh);
        const float* xp = x + (i / ((i64) oh * ow)) * h * w;
        const int hs = adaptive_start(oy, h, oh), he = adaptive_end(oy, h, oh);
        const int ws = adaptive_start(ox, w, ow), we = adaptive_end(ox, w, ow);
        float s = 0.f;
        for (int yy = hs; yy < he; ++yy) for (int xx = ws; xx < we; ++xx) s += xp[yy * w + xx];
        y[i] = s / (float) ((he - hs) * (we - ws));
    }
}

// Each input element gathers from the outputs whose windows hold it (windows may overlap by one row).
extern "C" __global__ void adaptive_avg_pool_backward(const float* gy, float* gx, i64 planes, int h, int w, int oh, int ow) {
    const i64 n = planes * h * w;
    KILN_FOR_EACH(i, n) {
        const int ix = (int) (i % w), iy = (int) ((i / w) % h);
        const float* gp = gy + (i / ((i64) h * w)) * oh * ow;
        // candidate outputs: the window starts are nondecreasing, so scan from the first that may hold iy
        const int oy0 = max(0, (int) (((i64) iy * oh) / h) - 1), ox0 = max(0, (int) (((i64) ix * ow) / w) - 1);
        float acc = 0.f;
        for (int oy = oy0; oy < oh && adaptive_start(oy, h, oh) <= iy; ++oy) {
            const int hs = adaptive_start(oy, h, oh), he = adaptive_end(oy, h, oh);
            if (iy < hs || iy >= he) continue;
            for (int ox = ox0; ox < ow && adaptive_start(ox, w, ow) <= ix; ++ox) {
                const int ws = adaptive_start(ox, w, ow), we = adaptive_end(ox, w, ow);
                if (ix < ws || ix >= we) continue;
                acc += gp[oy * ow + ox] / (float) ((he - hs) * (we - ws));
            }
        }
        gx[i] = acc;
    }
}
