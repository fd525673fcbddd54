// Reductions of dev.kiln.spi.Backend#reduce. One block per output element: the host splits x into
// kept axes (`outer`, in out's shape, with x's strides) and reduced axes (`inner`, offset 0); each
// thread folds a strided part of the inner range, then warp shuffles and a shared-memory tree combine
// the partials. Floating SUM and PROD accumulate in double, so the error does not grow with length.
#include "kiln_common.cuh"

enum { R_SUM = 0, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN };

#define KILN_REDUCE_THREADS 256

// Accumulator of a compute type: double for floats, 64-bit integer for integers.
template <typename C> struct Acc;
template <> struct Acc<float> {
    typedef double A;
    static __device__ __forceinline__ double lowest() { return -KILN_INF_D; }
    static __device__ __forceinline__ double highest() { return KILN_INF_D; }
};
template <> struct Acc<i64> {
    typedef i64 A;
    static __device__ __forceinline__ i64 lowest() { return KILN_I64_MIN; }
    static __device__ __forceinline__ i64 highest() { return KILN_I64_MAX; }
};

template <typename A> __device__ __forceinline__ bool kiln_isnan(A v) { return v != v; }

// NaN propagates through MAX and MIN.
template <typename A> __device__ __forceinline__ A combine(int op, A a, A b) {
    switch (op) {
        case R_SUM: return a + b;
        case R_PROD: return a * b;
        case R_MAX: return kiln_isnan(a) ? a : (kiln_isnan(b) ? b : (a > b ? a : b));
        default: return kiln_isnan(a) ? a : (kiln_isnan(b) ? b : (a < b ? a : b));
    }
}

// True when candidate (v2, i2) should replace (v1, i1): the first NaN wins, ties go to the first index,
// and index -1 marks "no element yet".
template <typename A> __device__ __forceinline__ bool arg_better(bool isMax, A v2, i64 i2, A v1, i64 i1) {
    if (i2 < 0) return false;
    if (i1 < 0) return true;
    bool n1 = kiln_isnan(v1), n2 = kiln_isnan(v2);
    if (n1 || n2) return (n1 && n2) ? i2 < i1 : n2;
    if (v2 == v1) return i2 < i1;
    return isMax ? v2 > v1 : v2 < v1;
}

template <typename T, typename O>
__device__ void reduce_block(int op, const T* x, const KView& outer, const KView& inner, O* out, const KView& ov,
                             i64 outputs, i64 len) {
    typedef typename Num<T>::C C;
    typedef typename Acc<C>::A A;
    __shared__ A sval[KILN_REDUCE_THREADS / 32];
    __shared__ i64 sidx[KILN_REDUCE_THREADS / 32];
    const bool isArg = op == R_ARGMAX || op == R_ARGMIN;
    const bool isMax = op == R_ARGMAX;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;

    for (i64 o = blockIdx.x; o < outputs; o += gridDim.x) {
        i64 base = kv_offset(outer, o);
        A init = op == R_SUM ? (A) 0 : op == R_PROD ? (A) 1 : (op == R_MAX ? Acc<C>::lowest() : Acc<C>::highest());
        A acc = init;
        i64 idx = -1;
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            A v = (A) Num<T>::load(x, base + kv_offset(inner, j));
            if (isArg) {
                if (arg_better(isMax, v, j, acc, idx)) { acc = v; idx = j; }
            } else {
                acc = combine(op, acc, v);
            }
        }
        for (int s = 16; s > 0; s >>= 1) {
            A v = __shfl_down_sync(0xffffffffu, acc, s);
            i64 k = __shfl_down_sync(0xffffffffu, idx, s);
            if (lane + s < 32) {
                if (isArg) {
                    if (arg_better(isMax, v, k, acc, idx)) { acc = v; idx = k; }
                } else {
                    acc = combine(op, acc, v);
                }
            }
        }
        if (lane == 0) { sval[warp] = acc; sidx[warp] = idx; }
        __syncthreads();
        if (warp == 0) {
            acc = lane < warps ? sval[lane] : init;
            idx = lane < warps ? sidx[lane] : -1;
            for (int s = 16; s > 0; s >>= 1) {
                A v = __shfl_down_sync(0xffffffffu, acc, s);
                i64 k = __shfl_down_sync(0xffffffffu, idx, s);
                if (lane + s < 32) {
                    if (isArg) {
                        if (arg_better(isMax, v, k, acc, idx)) { acc = v; idx = k; }
                    } else {
                        acc = combine(op, acc, v);
                    }
                }
            }
            if (lane == 0) {
                i64 oo = kv_offset(ov, o);
                if (isArg) kiln_store(out, oo, idx < 0 ? (i64) 0 : idx);
                else kiln_store(out, oo, (C) acc);
            }
        }
        __syncthreads();   // the shared partials are reused by the next output
    }
}

// blockDim.x must be a multiple of 32 and at most KILN_REDUCE_THREADS.
#define KILN_REDUCE(n1, T1, n2, T2) \
    extern "C" __global__ void __launch_bounds__(KILN_REDUCE_THREADS) \
    reduce_##n1##_##n2(int op, const T1* x, KView outer, KView inner, T2* out, KView ov, i64 outputs, i64 len) { \
        reduce_block<T1, T2>(op, x, outer, inner, out, ov, outputs, len); \
    }
KILN_FOR_DTYPE_PAIRS(KILN_REDUCE)
