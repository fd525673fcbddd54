// Shared definitions of Kiln's CUDA kernels. No system headers: the same text compiles under nvcc
// (build-time check) and NVRTC (run time), which ships no C library headers.
#pragma once

#define KILN_MAX_RANK 8

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;

// Storage types of the 16-bit floats; arithmetic happens in float.
struct f16 { u16 bits; };
struct bf16 { u16 bits; };

// A strided N-d window into a buffer, as dev.kiln.spi.View: element (i0..iR-1) lives at
// offset + sum(ik * stride[k]), counted in elements. The Java side packs exactly this layout
// (112 bytes, 8-byte aligned): offset, stride[8], shape[8], rank, pad.
struct KView {
    i64 offset;
    i64 stride[KILN_MAX_RANK];
    int shape[KILN_MAX_RANK];
    int rank;
    int pad;
};
// The Java side (dev.kiln.cuda.KernelView) packs exactly this many bytes.
static_assert(sizeof(KView) == 112 && alignof(KView) == 8, "KView layout must match KernelView.pack()");

// Offset of the element with row-major linear index `i` in `v`'s own shape.
__device__ __forceinline__ i64 kv_offset(const KView& v, i64 i) {
    i64 off = v.offset;
    for (int d = v.rank - 1; d >= 0; --d) {
        i64 ext = v.shape[d];
        off += (i % ext) * v.stride[d];
        i /= ext;
    }
    return off;
}

// Offsets of linear index `i` (in `s`'s shape) in views that share that shape.
__device__ __forceinline__ void kv_offset2(const KView& s, const KView& b, i64 i, i64& os, i64& ob) {
    os = s.offset; ob = b.offset;
    for (int d = s.rank - 1; d >= 0; --d) {
        i64 ext = s.shape[d];
        i64 c = i % ext;
        i /= ext;
        os += c * s.stride[d];
        ob += c * b.stride[d];
    }
}

__device__ __forceinline__ void kv_offset3(const KView& s, const KView& b, const KView& c, i64 i,
                                           i64& os, i64& ob, i64& oc) {
    os = s.offset; ob = b.offset; oc = c.offset;
    for (int d = s.rank - 1; d >= 0; --d) {
        i64 ext = s.shape[d];
        i64 k = i % ext;
        i /= ext;
        os += k * s.stride[d];
        ob += k * b.stride[d];
        oc += k * c.stride[d];
    }
}

__device__ __forceinline__ void kv_offset4(const KView& s, const KView& b, const KView& c, const KView& e, i64 i,
                                           i64& os, i64& ob, i64& oc, i64& oe) {
    os = s.offset; ob = b.offset; oc = c.offset; oe = e.offset;
    for (int d = s.rank - 1; d >= 0; --d) {
        i64 ext = s.shape[d];
        i64 k = i % ext;
        i /= ext;
        os += k * s.stride[d];
        ob += k * b.stride[d];
        oc += k * c.stride[d];
        oe += k * e.stride[d];
    }
}

// Grid-stride loop over [0, n).
#define KILN_FOR_EACH(i, n) \
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64) gridDim.x * blockDim.x)

// ---- 16-bit float conversions (round to nearest even, NaN kept) ----

__device__ __forceinline__ float kiln_f16_to_f32(u16 h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ u16 kiln_f32_to_f16(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ float kiln_bf16_to_f32(u16 b) { return __uint_as_float(((u32) b) << 16); }

__device__ __forceinline__ u16 kiln_f32_to_bf16(float f) {
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u16) ((u >> 16) | 0x40u);   // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (u16) (u >> 16);
}

#define KILN_INF_F __int_as_float(0x7f800000)
#define KILN_INF_D __longlong_as_double(0x7ff0000000000000LL)
#define KILN_NAN_F __int_as_float(0x7fc00000)
#define KILN_I64_MAX 0x7fffffffffffffffLL
#define KILN_I64_MIN (-KILN_I64_MAX - 1LL)

// ---- loads and stores: floats compute in float, integers in 64-bit integers ----

template <typename T> struct Num;

template <> struct Num<float> {
    typedef float C;
    static __device__ __forceinline__ float load(const float* p, i64 i) { return p[i]; }
};
template <> struct Num<f16> {
    typedef float C;
    static __device__ __forceinline__ float load(const f16* p, i64 i) { return kiln_f16_to_f32(p[i].bits); }
};
template <> struct Num<bf16> {
    typedef float C;
    static __device__ __forceinline__ float load(const bf16* p, i64 i) { return kiln_bf16_to_f32(p[i].bits); }
};
template <> struct Num<int> {
    typedef i64 C;
    static __device__ __forceinline__ i64 load(const int* p, i64 i) { return p[i]; }
};
template <> struct Num<i64> {
    typedef i64 C;
    static __device__ __forceinline__ i64 load(const i64* p, i64 i) { return p[i]; }
};

// Float to integer truncates toward zero and saturates (as Java's casts do; NaN gives 0).
__device__ __forceinline__ void kiln_store(float* p, i64 i, float v) { p[i] = v; }
__device__ __forceinline__ void kiln_store(float* p, i64 i, i64 v) { p[i] = (float) v; }
__device__ __forceinline__ void kiln_store(f16* p, i64 i, float v) { p[i].bits = kiln_f32_to_f16(v); }
__device__ __forceinline__ void kiln_store(f16* p, i64 i, i64 v) { p[i].bits = kiln_f32_to_f16((float) v); }
__device__ __forceinline__ void kiln_store(bf16* p, i64 i, float v) { p[i].bits = kiln_f32_to_bf16(v); }
__device__ __forceinline__ void kiln_store(bf16* p, i64 i, i64 v) { p[i].bits = kiln_f32_to_bf16((float) v); }
__device__ __forceinline__ void kiln_store(int* p, i64 i, float v) { p[i] = v != v ? 0 : (int) v; }
__device__ __forceinline__ void kiln_store(int* p, i64 i, i64 v) { p[i] = (int) v; }
__device__ __forceinline__ void kiln_store(i64* p, i64 i, float v) { p[i] = v != v ? 0 : (i64) v; }
__device__ __forceinline__ void kiln_store(i64* p, i64 i, i64 v) { p[i] = v; }

// Instantiates MACRO(name, type) for every storage dtype, with the names the Java side uses.
#define KILN_FOR_DTYPES(M, ...) \
    M(f32, float, __VA_ARGS__) M(f16, f16, __VA_ARGS__) M(bf16, bf16, __VA_ARGS__) \
    M(i32, int, __VA_ARGS__) M(i64, i64, __VA_ARGS__)

// Instantiates MACRO(name1, type1, name2, type2) for every pair of dtypes (a second list, since a
// macro cannot expand itself).
#define KILN_FOR_DTYPES2(M, n1, t1) \
    M(n1, t1, f32, float) M(n1, t1, f16, f16) M(n1, t1, bf16, bf16) M(n1, t1, i32, int) M(n1, t1, i64, i64)
#define KILN_PAIR_OUTER(n1, t1, M) KILN_FOR_DTYPES2(M, n1, t1)
#define KILN_FOR_DTYPE_PAIRS(M) KILN_FOR_DTYPES(KILN_PAIR_OUTER, M)
