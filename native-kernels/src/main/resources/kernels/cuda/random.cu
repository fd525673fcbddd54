// Philox 4x32-10 random numbers, bit for bit as dev.kiln.spi.Philox: key = (low32(seed), high32(seed)),
// counter (low32(c), high32(c), 0, 0). One thread per counter writes its 4 (uniform) or 2 (normal)
// elements, element i being row-major index i of the output view.
#include "kiln_common.cuh"

__device__ __forceinline__ void philox4x32_10(u64 counter, u64 seed, u32 out[4]) {
    u32 c0 = (u32) counter, c1 = (u32) (counter >> 32), c2 = 0, c3 = 0;
    u32 k0 = (u32) seed, k1 = (u32) (seed >> 32);
    for (int r = 0; r < 10; ++r) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        u64 p0 = (u64) 0xD2511F53u * c0;
        u64 p1 = (u64) 0xCD9E8D57u * c2;
        u32 hi0 = (u32) (p0 >> 32), lo0 = (u32) p0, hi1 = (u32) (p1 >> 32), lo1 = (u32) p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// Uniform on [0, 1): (word >>> 8) * 2^-24.
extern "C" __global__ void random_uniform(u64 seed, u64 offset, float* out, KView ov, i64 n) {
    i64 blocks = (n + 3) / 4;
    KILN_FOR_EACH(t, blocks) {
        u32 w[4];
        philox4x32_10(offset + (u64) t, seed, w);
        for (int k = 0; k < 4; ++k) {
            i64 i = 4 * t + k;
            if (i < n) out[kv_offset(ov, i)] = (float) (w[k] >> 8) * 5.9604644775390625e-8f;
        }
    }
}

// Standard normal by Box-Muller in double, rounded to float once, as Philox.normal does.
extern "C" __global__ void random_normal(u64 seed, u64 offset, float* out, KView ov, i64 n) {
    i64 pairs = (n + 1) / 2;
    KILN_FOR_EACH(t, pairs) {
        u32 w[4];
        philox4x32_10(offset + (u64) t, seed, w);
        for (int k = 0; k < 2; ++k) {
            i64 i = 2 * t + k;
            if (i < n) {
                double u1 = (double) ((w[2 * k] >> 8) + 1) * 5.9604644775390625e-8;
                double u2 = (double) (w[2 * k + 1] >> 8) * 5.9604644775390625e-8;
                double two_pi = 2.0 * 3.141592653589793;
                out[kv_offset(ov, i)] = (float) (sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
            }
        }
    }
}

// Dropout as dev.kiln.composite.NormComposite#dropout: element i is kept when its Philox UNIFORM number
// (word >>> 8, out of 2^24) is at least `threshold` = ceil(p * 2^24); mask = kept ? scale : 0 with
// scale = (float) (1 / (1 - p)), and out = x * mask. x, out and mask are contiguous F32.
extern "C" __global__ void dropout_forward(u64 seed, u64 offset, const float* x, float* out, float* mask, i64 n,
                                           long long threshold, float scale) {
    i64 blocks = (n + 3) / 4;
    KILN_FOR_EACH(t, blocks) {
        u32 w[4];
        philox4x32_10(offset + (u64) t, seed, w);
        for (int k = 0; k < 4; ++k) {
            i64 i = 4 * t + k;
            if (i < n) {
                const float m = (long long) (w[k] >> 8) >= threshold ? scale : 0.f;
                mask[i] = m;
                out[i] = x[i] * m;
            }
        }
    }
}
