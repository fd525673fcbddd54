// Elementwise primitives of dev.kiln.spi.Backend: fill, unary, binary, ternary. Every operand is a
// strided view with the output's shape (stride 0 broadcasts). Kernel names: op_<in>_<out>.
#include "kiln_common.cuh"

// Op codes: the Java side (dev.kiln.cuda.OpCodes) maps UnaryOp/BinaryOp/ReduceOp to these numbers.
enum {
    U_COPY = 0, U_NEG, U_ABS, U_SIGN, U_SQUARE, U_NOT, U_EXP, U_LOG, U_LOG1P, U_EXPM1, U_SQRT, U_RSQRT,
    U_RECIPROCAL, U_SIN, U_COS, U_TANH, U_SIGMOID, U_ERF, U_RELU, U_GELU, U_GELU_TANH, U_SILU,
    U_FLOOR, U_CEIL, U_ROUND
};
enum {
    B_ADD = 0, B_SUB, B_MUL, B_DIV, B_MOD, B_POW, B_MAXIMUM, B_MINIMUM,
    B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR
};

__device__ __forceinline__ float unary_f(int op, float x) {
    switch (op) {
        case U_COPY: return x;
        case U_NEG: return -x;
        case U_ABS: return fabsf(x);
        case U_SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);   // keeps 0, -0 and NaN
        case U_SQUARE: return x * x;
        case U_NOT: return x == 0.f ? 1.f : 0.f;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_LOG1P: return log1pf(x);
        case U_EXPM1: return expm1f(x);
        case U_SQRT: return sqrtf(x);
        case U_RSQRT: return 1.f / sqrtf(x);
        case U_RECIPROCAL: return 1.f / x;
        case U_SIN: return sinf(x);
        case U_COS: return cosf(x);
        case U_TANH: return tanhf(x);
        case U_SIGMOID: return 1.f / (1.f + expf(-x));
        case U_ERF: return erff(x);
        case U_RELU: return x > 0.f ? x : (x != x ? x : 0.f);
        // x * Phi(x) as x/2 * erfc(-x/sqrt 2), and the tanh form as x * sigmoid(2u): no cancellation for negative x
        case U_GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);
        case U_GELU_TANH: return x / (1.f + expf(-1.5957691216057308f * (x + 0.044715f * x * x * x)));
        case U_SILU: return x / (1.f + expf(-x));
        case U_FLOOR: return floorf(x);
        case U_CEIL: return ceilf(x);
        case U_ROUND: return rintf(x);   // half to even in the default rounding mode
        default: return KILN_NAN_F;
    }
}

// Integer inputs accept COPY, NEG, ABS, SIGN, SQUARE and NOT only (the host checks).
__device__ __forceinline__ i64 unary_i(int op, i64 x) {
    switch (op) {
        case U_NEG: return -x;
        case U_ABS: return x < 0 ? -x : x;
        case U_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : 0);
        case U_SQUARE: return x * x;
        case U_NOT: return x == 0 ? 1 : 0;
        default: return x;
    }
}

__device__ __forceinline__ float unary_c(int op, float x) { return unary_f(op, x); }
__device__ __forceinline__ i64 unary_c(int op, i64 x) { return unary_i(op, x); }

__device__ __forceinline__ float kiln_maximum(float a, float b) { return a != a ? a : (b != b ? b : (a > b ? a : b)); }
__device__ __forceinline__ float kiln_minimum(float a, float b) { return a != a ? a : (b != b ? b : (a < b ? a : b)); }
__device__ __forceinline__ i64 kiln_maximum(i64 a, i64 b) { return a > b ? a : b; }
__device__ __forceinline__ i64 kiln_minimum(i64 a, i64 b) { return a < b ? a : b; }

__device__ __forceinline__ float binary_c(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MOD: return a - floorf(a / b) * b;
        case B_POW: return powf(a, b);
        case B_MAXIMUM: return kiln_maximum(a, b);
        case B_MINIMUM: return kiln_minimum(a, b);
        case B_EQ: return a == b ? 1.f : 0.f;
        case B_NE: return a != b ? 1.f : 0.f;
        case B_LT: return a < b ? 1.f : 0.f;
        case B_LE: return a <= b ? 1.f : 0.f;
        case B_GT: return a > b ? 1.f : 0.f;
        case B_GE: return a >= b ? 1.f : 0.f;
        case B_AND: return (a != 0.f && b != 0.f) ? 1.f : 0.f;
        case B_OR: return (a != 0.f || b != 0.f) ? 1.f : 0.f;
        default: return KILN_NAN_F;
    }
}

// Floor division and floor modulo (Python's // and %); a zero divisor gives 0 instead of a trap.
__device__ __forceinline__ i64 kiln_floordiv(i64 a, i64 b) {
    if (b == 0) return 0;
    if (b == -1) return (i64) (0ULL - (u64) a);   // avoids the INT64_MIN / -1 overflow
    i64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}

__device__ __forceinline__ i64 kiln_floormod(i64 a, i64 b) {
    if (b == 0 || b == -1) return 0;
    i64 r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

__device__ __forceinline__ i64 binary_c(int op, i64 a, i64 b) {
    switch (op) {
        case B_ADD: return (i64) ((u64) a + (u64) b);   // wraps like Java
        case B_SUB: return (i64) ((u64) a - (u64) b);
        case B_MUL: return (i64) ((u64) a * (u64) b);
        case B_DIV: return kiln_floordiv(a, b);
        case B_MOD: return kiln_floormod(a, b);
        case B_MAXIMUM: return kiln_maximum(a, b);
        case B_MINIMUM: return kiln_minimum(a, b);
        case B_EQ: return a == b;
        case B_NE: return a != b;
        case B_LT: return a < b;
        case B_LE: return a <= b;
        case B_GT: return a > b;
        case B_GE: return a >= b;
        case B_AND: return a != 0 && b != 0;
        case B_OR: return a != 0 || b != 0;
        default: return 0;
    }
}

// ---- fill ----

template <typename T> __device__ __forceinline__ void fill_value(T* p, i64 i, double v) {
    kiln_store(p, i, (float) v);
}
template <> __device__ __forceinline__ void fill_value<int>(int* p, i64 i, double v) { p[i] = v != v ? 0 : (int) v; }
template <> __device__ __forceinline__ void fill_value<i64>(i64* p, i64 i, double v) { p[i] = v != v ? 0 : (i64) v; }

#define KILN_FILL(name, T, unused) \
    extern "C" __global__ void fill_##name(T* out, KView ov, i64 n, double value) { \
        KILN_FOR_EACH(i, n) fill_value<T>(out, kv_offset(ov, i), value); \
    }
KILN_FOR_DTYPES(KILN_FILL, 0)

// ---- unary: out = op(x), x converted to its compute type, the result to out's dtype ----

#define KILN_UNARY(n1, T1, n2, T2) \
    extern "C" __global__ void unary_##n1##_##n2(int op, const T1* x, KView xv, T2* out, KView ov, i64 n) { \
        KILN_FOR_EACH(i, n) { \
            i64 oo, ox; \
            kv_offset2(ov, xv, i, oo, ox); \
            kiln_store(out, oo, unary_c(op, Num<T1>::load(x, ox))); \
        } \
    }
KILN_FOR_DTYPE_PAIRS(KILN_UNARY)

// ---- binary: a and b share one dtype; comparisons give 1 or 0 in out's dtype ----

#define KILN_BINARY(n1, T1, n2, T2) \
    extern "C" __global__ void binary_##n1##_##n2(int op, const T1* a, KView av, const T1* b, KView bv, \
                                                   T2* out, KView ov, i64 n) { \
        KILN_FOR_EACH(i, n) { \
            i64 oo, oa, ob; \
            kv_offset3(ov, av, bv, i, oo, oa, ob); \
            kiln_store(out, oo, binary_c(op, Num<T1>::load(a, oa), Num<T1>::load(b, ob))); \
        } \
    }
KILN_FOR_DTYPE_PAIRS(KILN_BINARY)

// ---- ternary ----

// where: out = cond != 0 ? b : c; cond of any dtype, b, c and out of one dtype (copied bit for bit).
#define KILN_WHERE(n1, T1, n2, T2) \
    extern "C" __global__ void where_##n1##_##n2(const T1* cond, KView cv, const T2* b, KView bv, const T2* c, \
                                                  KView ccv, T2* out, KView ov, i64 n) { \
        KILN_FOR_EACH(i, n) { \
            i64 oo, oc, ob, occ; \
            kv_offset4(ov, cv, bv, ccv, i, oo, oc, ob, occ); \
            out[oo] = Num<T1>::load(cond, oc) != 0 ? b[ob] : c[occ]; \
        } \
    }
KILN_FOR_DTYPE_PAIRS(KILN_WHERE)

// clamp: out = min(max(a, lo), hi); NaN propagates.
#define KILN_CLAMP(name, T, unused) \
    extern "C" __global__ void clamp_##name(const T* a, KView av, const T* lo, KView lv, const T* hi, KView hv, \
                                             T* out, KView ov, i64 n) { \
        KILN_FOR_EACH(i, n) { \
            i64 oo, oa, ol, oh; \
            kv_offset4(ov, av, lv, hv, i, oo, oa, ol, oh); \
            kiln_store(out, oo, kiln_minimum(kiln_maximum(Num<T>::load(a, oa), Num<T>::load(lo, ol)), \
                                             Num<T>::load(hi, oh))); \
        } \
    }
KILN_FOR_DTYPES(KILN_CLAMP, 0)
