// gather and scatterAdd along one axis. Prelude: TA (element storage of src and out), LA/SO and
// CT for scatterAdd's arithmetic, TI (index storage: int or long), ATOMIC_KIND (how scatterAdd
// accumulates: 0 float CAS, 1 int, 2 long, 3 16-bit float CAS on the enclosing 32-bit word,
// 4 none: scatter_add_loop).
// Out-of-range indices gather 0 and are skipped by scatterAdd.

__kernel void gather_op(long n, int rank, int axis, long srcAxisLen, long8 shape,
                        __global const TA* src, long offS, long8 strideS,
                        __global const TI* index, long offI, long8 strideI,
                        __global TA* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideS, ss); KILN_UNPACK(strideI, si); KILN_UNPACK(strideO, so);
    long rem = i, pi = offI, po = offO, ps = offS, axisStride = 0;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        pi += c * si[d];
        po += c * so[d];
        if (d == axis) axisStride = ss[d]; else ps += c * ss[d];
    }
    long k = (long) index[pi];
    out[po] = (k >= 0 && k < srcAxisLen) ? src[ps + k * axisStride] : (TA) 0;
}

#if ATOMIC_KIND == 2
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#endif

inline void kiln_atomic_add(__global TA* p, CT v) {
#if ATOMIC_KIND == 0
    volatile __global uint* w = (volatile __global uint*) p;
    uint old = *w, assumed;
    do {
        assumed = old;
        old = atomic_cmpxchg(w, assumed, as_uint(as_float(assumed) + v));
    } while (old != assumed);
#elif ATOMIC_KIND == 1
    atomic_add((volatile __global int*) p, (int) v);
#elif ATOMIC_KIND == 2
    atom_add((volatile __global long*) p, v);
#elif ATOMIC_KIND == 3
    // 16-bit float: compare-and-swap the aligned 32-bit word holding it (little-endian devices).
    size_t addr = (size_t) p;
    volatile __global uint* w = (volatile __global uint*) (addr & ~(size_t) 3);
    uint shift = (addr & 2) ? 16u : 0u;
    uint old = *w, assumed;
    do {
        assumed = old;
        ushort h = (ushort) ((assumed >> shift) & 0xFFFFu);
        CT sum = LA(&h, 0) + v;
        ushort r = SO(sum);
        uint next = (assumed & ~(0xFFFFu << shift)) | (((uint) r) << shift);
        old = atomic_cmpxchg(w, assumed, next);
    } while (old != assumed);
#else
    // No atomic for this dtype on this device: the host launches scatter_add_loop instead.
    *p = SO(LA(p, 0) + v);
#endif
}

__kernel void scatter_add_op(long n, int rank, int axis, long outAxisLen, long8 shape,
                             __global const TA* src, long offS, long8 strideS,
                             __global const TI* index, long offI, long8 strideI,
                             __global TA* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideS, ss); KILN_UNPACK(strideI, si); KILN_UNPACK(strideO, so);
    long rem = i, pi = offI, ps = offS, po = offO, axisStride = 0;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        pi += c * si[d];
        ps += c * ss[d];
        if (d == axis) axisStride = so[d]; else po += c * so[d];
    }
    long k = (long) index[pi];
    if (k < 0 || k >= outAxisLen) return;
    kiln_atomic_add(out + po + k * axisStride, LA(src, ps));
}

// Without atomics (64-bit integers on devices lacking cl_khr_int64_base_atomics): one work item
// per out element sums every src element along the axis whose index points at it.
__kernel void scatter_add_loop(long n, int rank, int axis, long srcAxisLen, long8 outShape,
                               __global const TA* src, long offS, long8 strideS,
                               __global const TI* index, long offI, long8 strideI,
                               __global TA* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(outShape, sh); KILN_UNPACK(strideS, ss); KILN_UNPACK(strideI, si); KILN_UNPACK(strideO, so);
    long rem = i, pi = offI, ps = offS, po = offO, target = 0;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        po += c * so[d];
        if (d == axis) target = c; else { pi += c * si[d]; ps += c * ss[d]; }
    }
    CT acc = LA(out, po);
    for (long j = 0; j < srcAxisLen; j++) {
        if ((long) index[pi + j * si[axis]] == target) acc += LA(src, ps + j * ss[axis]);
    }
    out[po] = SO(acc);
}
