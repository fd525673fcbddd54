// gather and scatter-add along one axis (dev.kiln.spi.Backend#gather, #scatterAdd), with I32 or I64
// indices. Out-of-range indices read as 0 (gather) or are skipped (scatter-add): never out of bounds.
#include "kiln_common.cuh"

template <typename I> __device__ __forceinline__ i64 load_index(const I* p, i64 i) { return (i64) p[i]; }

// Offsets of element i of `walk` (whose shape drives the loop), in `index` (same shape) and in `other`
// (which differs only along `axis`, left out here: the caller adds the indexed position).
__device__ __forceinline__ void offsets_off_axis(const KView& walk, const KView& index, const KView& other, int axis, i64 i,
                                                 i64& ow, i64& oi, i64& oo) {
    ow = walk.offset; oi = index.offset; oo = other.offset;
    for (int d = walk.rank - 1; d >= 0; --d) {
        i64 ext = walk.shape[d];
        i64 c = i % ext;
        i /= ext;
        ow += c * walk.stride[d];
        oi += c * index.stride[d];
        if (d != axis) oo += c * other.stride[d];
    }
}

// out[.., j, ..] = src[.., index[.., j, ..], ..]; index has out's shape, src differs only along axis.
template <typename T, typename I>
__device__ void gather_impl(const T* src, const KView& sv, int axis, const I* index, const KView& iv, T* out,
                            const KView& ov, i64 n) {
    KILN_FOR_EACH(i, n) {
        i64 oo, oi, os;
        offsets_off_axis(ov, iv, sv, axis, i, oo, oi, os);
        i64 k = load_index(index, oi);
        if (k >= 0 && k < sv.shape[axis]) {
            out[oo] = src[os + k * sv.stride[axis]];
        } else {
            kiln_store(out, oo, (i64) 0);
        }
    }
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int* p, i64 v) { atomicAdd(p, (int) v); }
__device__ __forceinline__ void atomic_add(i64* p, i64 v) { atomicAdd((u64*) p, (u64) v); }

// 16-bit floats: compare-and-swap on the aligned 32-bit word that holds the element.
template <bool BF> __device__ __forceinline__ void atomic_add16(u16* p, float v) {
    u32* word = (u32*) ((u64) p & ~(u64) 3);
    const u32 shift = ((u64) p & 2) ? 16u : 0u;
    u32 old = *word, assumed;
    do {
        assumed = old;
        u16 h = (u16) ((assumed >> shift) & 0xffffu);
        float f = (BF ? kiln_bf16_to_f32(h) : kiln_f16_to_f32(h)) + v;
        u16 nh = BF ? kiln_f32_to_bf16(f) : kiln_f32_to_f16(f);
        u32 updated = (assumed & ~(0xffffu << shift)) | ((u32) nh << shift);
        old = atomicCAS(word, assumed, updated);
    } while (old != assumed);
}
__device__ __forceinline__ void atomic_add(f16* p, float v) { atomic_add16<false>(&p->bits, v); }
__device__ __forceinline__ void atomic_add(bf16* p, float v) { atomic_add16<true>(&p->bits, v); }

// out[.., index[.., j, ..], ..] += src[.., j, ..]; index has src's shape, out differs only along axis.
template <typename T, typename I>
__device__ void scatter_add_impl(const T* src, const KView& sv, int axis, const I* index, const KView& iv, T* out,
                                 const KView& ov, i64 n) {
    KILN_FOR_EACH(i, n) {
        i64 os, oi, oo;
        offsets_off_axis(sv, iv, ov, axis, i, os, oi, oo);
        i64 k = load_index(index, oi);
        if (k >= 0 && k < ov.shape[axis]) atomic_add(out + oo + k * ov.stride[axis], Num<T>::load(src, os));
    }
}

#define KILN_INDEXED(name, T, iname, I) \
    extern "C" __global__ void gather_##name##_##iname(const T* src, KView sv, int axis, const I* index, KView iv, \
                                                       T* out, KView ov, i64 n) { \
        gather_impl<T, I>(src, sv, axis, index, iv, out, ov, n); \
    } \
    extern "C" __global__ void scatter_add_##name##_##iname(const T* src, KView sv, int axis, const I* index, \
                                                            KView iv, T* out, KView ov, i64 n) { \
        scatter_add_impl<T, I>(src, sv, axis, index, iv, out, ov, n); \
    }
#define KILN_INDEXED_BOTH(name, T, unused) KILN_INDEXED(name, T, i32, int) KILN_INDEXED(name, T, i64, i64)
KILN_FOR_DTYPES(KILN_INDEXED_BOTH, 0)
