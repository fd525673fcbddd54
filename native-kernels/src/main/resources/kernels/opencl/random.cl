// Philox 4x32-10 random numbers, bit for bit the mapping of dev.kiln.spi.Philox: element i of the
// view (row-major) draws from counter offset + i / 4 (uniform) or offset + i / 2 (normal).
// With KILN_FP64 the Box-Muller transform runs in double, as the Java reference does.

#ifdef KILN_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

inline uint4 kiln_philox(ulong seed, ulong counter) {
    uint c0 = (uint) counter, c1 = (uint) (counter >> 32), c2 = 0, c3 = 0;
    uint k0 = (uint) seed, k1 = (uint) (seed >> 32);
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint n0 = hi1 ^ c1 ^ k0;
        uint n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    return (uint4) (c0, c1, c2, c3);
}

inline uint kiln_word(uint4 b, int j) {
    return j == 0 ? b.s0 : (j == 1 ? b.s1 : (j == 2 ? b.s2 : b.s3));
}

__kernel void random_op(int normal, ulong seed, ulong offset, long n, int rank, long8 shape,
                        __global float* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideO, so);
    long rem = i, po = offO;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        po += c * so[d];
    }
    float v;
    if (!normal) {
        uint4 b = kiln_philox(seed, offset + (ulong) (i / 4));
        v = (float) (kiln_word(b, (int) (i % 4)) >> 8) * 0x1p-24f;
    } else {
        uint4 b = kiln_philox(seed, offset + (ulong) (i / 2));
        int j = (int) (i % 2) * 2;
        uint w0 = kiln_word(b, j), w1 = kiln_word(b, j + 1);
#ifdef KILN_FP64
        double u1 = (double) ((w0 >> 8) + 1) * 0x1p-24;
        double u2 = (double) (w1 >> 8) * 0x1p-24;
        v = (float) (sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
#else
        float u1 = (float) ((w0 >> 8) + 1) * 0x1p-24f;
        float u2 = (float) (w1 >> 8) * 0x1p-24f;
        v = sqrt(-2.0f * log(u1)) * cos(2.0f * M_PI_F * u2);
#endif
    }
    out[po] = v;
}

// Dropout as dev.kiln.composite.NormComposite#dropout: element i is kept when its Philox UNIFORM word
// (w >> 8, out of 2^24) is at least threshold = ceil(p * 2^24); mask = kept ? scale : 0 with
// scale = (float) (1 / (1 - p)), out = x * mask. One work item per Philox block of four elements;
// x, out and mask are contiguous F32.
__kernel void dropout_forward(ulong seed, ulong offset, long n, long threshold, float scale,
                              __global const float* x, long offX, __global float* out, long offOut,
                              __global float* mask, long offMask) {
    long t = get_global_id(0);
    if (t >= (n + 3) / 4) return;
    uint4 b = kiln_philox(seed, offset + (ulong) t);
    for (int k = 0; k < 4; k++) {
        long i = 4 * t + k;
        if (i < n) {
            float m = (long) (kiln_word(b, k) >> 8) >= threshold ? scale : 0.0f;
            mask[offMask + i] = m;
            out[offOut + i] = x[offX + i] * m;
        }
    }
}
