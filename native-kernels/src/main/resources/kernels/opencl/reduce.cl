// Reductions over the trailing "reduced" axes of a view, one output element per work item
// (reduce_thread) or per work group (reduce_group). Prelude: TA/LA (input), TO/SO (output),
// CT/CT_FLOAT, REDUCE_OP (one of REDUCE_SUM ... REDUCE_ARGMIN) and REDUCE_WG (group size).
// SUM of floats is Kahan-compensated per work item and combined as a tree, so its error does not
// grow linearly with the element count. MAX/MIN propagate NaN; ARGMAX/ARGMIN take the first
// NaN, else the first extreme index.

#if CT_FLOAT
  #define KILN_ISNAN(v) isnan(v)
  #define KILN_LOWEST (-INFINITY)
  #define KILN_HIGHEST INFINITY
#else
  #define KILN_ISNAN(v) 0
  #define KILN_LOWEST LONG_MIN
  #define KILN_HIGHEST LONG_MAX
#endif

typedef struct { CT v; CT comp; long idx; } kiln_acc;

inline kiln_acc kiln_acc_init(void) {
    kiln_acc s;
    s.comp = 0;
    s.idx = -1;
#if REDUCE_OP == REDUCE_SUM
    s.v = 0;
#elif REDUCE_OP == REDUCE_PROD
    s.v = 1;
#elif REDUCE_OP == REDUCE_MAX || REDUCE_OP == REDUCE_ARGMAX
    s.v = KILN_LOWEST;
#else
    s.v = KILN_HIGHEST;
#endif
    return s;
}

// True when candidate (v, i) replaces the current (s.v, s.idx) for ARGMAX/ARGMIN.
inline int kiln_arg_better(CT v, long i, kiln_acc s) {
    if (s.idx < 0) return 1;
    int nv = KILN_ISNAN(v), ns = KILN_ISNAN(s.v);
    if (nv || ns) return nv && (!ns || i < s.idx);
#if REDUCE_OP == REDUCE_ARGMAX
    return v > s.v || (v == s.v && i < s.idx);
#else
    return v < s.v || (v == s.v && i < s.idx);
#endif
}

inline kiln_acc kiln_acc_add(kiln_acc s, CT v, long i) {
#if REDUCE_OP == REDUCE_SUM
  #if CT_FLOAT
    CT y = v - s.comp;
    CT t = s.v + y;
    s.comp = (t - s.v) - y;
    s.v = t;
  #else
    s.v += v;
  #endif
#elif REDUCE_OP == REDUCE_PROD
    s.v *= v;
#elif REDUCE_OP == REDUCE_MAX
    if (KILN_ISNAN(v) || v > s.v) s.v = v;
#elif REDUCE_OP == REDUCE_MIN
    if (KILN_ISNAN(v) || v < s.v) s.v = v;
#else
    if (kiln_arg_better(v, i, s)) { s.v = v; s.idx = i; }
#endif
    return s;
}

inline kiln_acc kiln_acc_merge(kiln_acc s, kiln_acc o) {
#if REDUCE_OP == REDUCE_SUM
    s.v = s.v + o.v;
    s.comp = s.comp + o.comp;
    return s;
#elif REDUCE_OP == REDUCE_ARGMAX || REDUCE_OP == REDUCE_ARGMIN
    if (o.idx >= 0 && kiln_arg_better(o.v, o.idx, s)) return o;
    return s;
#else
    return kiln_acc_add(s, o.v, o.idx);
#endif
}

inline void kiln_acc_store(__global TO* out, long po, kiln_acc s) {
#if REDUCE_OP == REDUCE_ARGMAX || REDUCE_OP == REDUCE_ARGMIN
    out[po] = (TO) (s.idx < 0 ? 0 : s.idx);
#elif REDUCE_OP == REDUCE_SUM
    CT r = s.v - s.comp;
    out[po] = SO(r);
#else
    CT r = s.v;
    out[po] = SO(r);
#endif
}

// Base offsets of output element o in x and out, from the kept axes.
inline void kiln_kept(long o, int keptRank, long8 keptShape, long8 keptStrideX, long8 keptStrideO,
                      long* px, long* po) {
    KILN_UNPACK(keptShape, sh); KILN_UNPACK(keptStrideX, sx); KILN_UNPACK(keptStrideO, so);
    long rem = o;
    for (int d = keptRank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        *px += c * sx[d];
        *po += c * so[d];
    }
}

inline long kiln_red_offset(long j, int redRank, const long* rsh, const long* rsx) {
    long rem = j, p = 0;
    for (int d = redRank - 1; d >= 0; d--) {
        long c = rem % rsh[d];
        rem /= rsh[d];
        p += c * rsx[d];
    }
    return p;
}

__kernel void reduce_thread(long nOut, int keptRank, long8 keptShape, long8 keptStrideX, long8 keptStrideO,
                            int redRank, long8 redShape, long8 redStrideX, long nRed,
                            __global const TA* x, long offX, __global TO* out, long offO) {
    long o = get_global_id(0);
    if (o >= nOut) return;
    long px = offX, po = offO;
    kiln_kept(o, keptRank, keptShape, keptStrideX, keptStrideO, &px, &po);
    KILN_UNPACK(redShape, rsh); KILN_UNPACK(redStrideX, rsx);
    kiln_acc s = kiln_acc_init();
    for (long j = 0; j < nRed; j++) {
        s = kiln_acc_add(s, LA(x, px + kiln_red_offset(j, redRank, rsh, rsx)), j);
    }
    kiln_acc_store(out, po, s);
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void reduce_group(long nOut, int keptRank, long8 keptShape, long8 keptStrideX, long8 keptStrideO,
                  int redRank, long8 redShape, long8 redStrideX, long nRed,
                  __global const TA* x, long offX, __global TO* out, long offO) {
    __local kiln_acc part[REDUCE_WG];
    long o = get_group_id(0);
    int lid = get_local_id(0);
    long px = offX, po = offO;
    kiln_kept(o, keptRank, keptShape, keptStrideX, keptStrideO, &px, &po);
    KILN_UNPACK(redShape, rsh); KILN_UNPACK(redStrideX, rsx);
    kiln_acc s = kiln_acc_init();
    for (long j = lid; j < nRed; j += REDUCE_WG) {
        s = kiln_acc_add(s, LA(x, px + kiln_red_offset(j, redRank, rsh, rsx)), j);
    }
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = REDUCE_WG / 2; step > 0; step >>= 1) {
        if (lid < step) part[lid] = kiln_acc_merge(part[lid], part[lid + step]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) kiln_acc_store(out, po, part[0]);
}
