// Scaled dot-product attention in the FlashAttention manner: keys and values (or queries) stream
// through local memory in tiles of ATT_TILE rows, each query keeps a running maximum and sum (online
// softmax), and no Tq x Tk matrix is ever stored. q [N, H, Tq, D], k and v [N, H, Tk, D] contiguous
// F32 at element offsets; the host builds this file per head size with ATT_D (private arrays of that
// size, loops the compiler can unroll) and ATT_TILE (the work-group size, fitted to local memory).
// mask: an additive F32 mask read through its strides (n, h, i, j) broadcast to [N, H, Tq, Tk];
// causal drops key j > query i (top-left aligned, as PyTorch's is_causal). A query with every key
// dropped gets zeros and log-sum-exp +inf, as the composite, so the backward's exp(s - lse) is 0 there.

// The score's additive term for (b = n * H + h, i, j), or -inf when the key is dropped.
inline float att_bias(int hasMask, __global const float* mask, long4 ms, int heads, int b, long i, long j, int causal) {
    if (causal && j > i) return -INFINITY;
    if (!hasMask) return 0.0f;
    return mask[(b / heads) * ms.s0 + (b % heads) * ms.s1 + i * ms.s2 + j * ms.s3];
}

// Copies rows [r0, r0 + rows) of two [T, D] matrices into local tiles, the work-group sharing the copy.
inline void att_load_tiles(__global const float* a, __global const float* b, __local float* at, __local float* bt,
                           long r0, int rows) {
    for (int e = get_local_id(0); e < rows * ATT_D; e += ATT_TILE) {
        long src = (r0 + e / ATT_D) * ATT_D + e % ATT_D;
        at[e] = a[src];
        bt[e] = b[src];
    }
}

// One work item per query row, ATT_TILE rows per work-group; global (ceil(Tq / TILE) * TILE, N * H).
__kernel __attribute__((reqd_work_group_size(ATT_TILE, 1, 1)))
void attention_forward(int heads, int tq, int tk, float scale, int causal,
                       __global const float* q, long offQ, __global const float* k, long offK,
                       __global const float* v, long offV, int hasMask, __global const float* mask, long offMask, long4 ms,
                       __global float* out, long offOut, __global float* lse, long offLse) {
    __local float ks[ATT_TILE * ATT_D], vs[ATT_TILE * ATT_D];
    const int b = get_global_id(1);
    const long i = get_global_id(0);
    const bool active = i < tq;
    mask += offMask;
    __global const float* qi = q + offQ + ((long) b * tq + (active ? i : 0)) * ATT_D;
    __global const float* kb = k + offK + (long) b * tk * ATT_D;
    __global const float* vb = v + offV + (long) b * tk * ATT_D;
    float qr[ATT_D], acc[ATT_D];
    for (int c = 0; c < ATT_D; c++) {
        qr[c] = active ? qi[c] : 0.0f;
        acc[c] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 < tk; j0 += ATT_TILE) {
        const int rows = min(ATT_TILE, tk - j0);
        barrier(CLK_LOCAL_MEM_FENCE);   // every work item is done with the previous tile
        att_load_tiles(kb, vb, ks, vs, j0, rows);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!active) continue;
        for (int r = 0; r < rows; r++) {
            const float bias = att_bias(hasMask, mask, ms, heads, b, i, j0 + r, causal);
            if (bias == -INFINITY) continue;
            float s = 0.0f;
            for (int c = 0; c < ATT_D; c++) s = fma(qr[c], ks[r * ATT_D + c], s);
            s = s * scale + bias;
            if (s == -INFINITY) continue;
            const float mNew = isnan(s) ? s : fmax(m, s);
            const float correction = exp(m - mNew);   // 0 on the first live key (exp(-inf))
            const float p = exp(s - mNew);
            l = l * correction + p;
            for (int c = 0; c < ATT_D; c++) acc[c] = acc[c] * correction + p * vs[r * ATT_D + c];
            m = mNew;
        }
    }
    if (!active) return;
    __global float* oi = out + offOut + ((long) b * tq + i) * ATT_D;
    const bool live = l > 0.0f || isnan(l);
    const float inv = live ? 1.0f / l : 0.0f;
    for (int c = 0; c < ATT_D; c++) oi[c] = acc[c] * inv;
    lse[offLse + (long) b * tq + i] = live ? m + log(l) : INFINITY;
}

// Backward, part 1: one work item per query row computes delta_i = dO_i . O_i and
// dQ_i = scale * sum_j p_ij (dO_i . V_j - delta_i) K_j with p_ij = exp(s_ij - lse_i), streaming K and V.
__kernel __attribute__((reqd_work_group_size(ATT_TILE, 1, 1)))
void attention_backward_dq(int heads, int tq, int tk, float scale, int causal,
                           __global const float* q, long offQ, __global const float* k, long offK,
                           __global const float* v, long offV, int hasMask, __global const float* mask, long offMask,
                           long4 ms, __global const float* out, long offOut, __global const float* dout, long offDout,
                           __global const float* lse, long offLse, __global float* delta, long offDelta,
                           __global float* dq, long offDq) {
    __local float ks[ATT_TILE * ATT_D], vs[ATT_TILE * ATT_D];
    const int b = get_global_id(1);
    const long i = get_global_id(0);
    const bool active = i < tq;
    mask += offMask;
    const long row = (long) b * tq + (active ? i : 0);
    __global const float* kb = k + offK + (long) b * tk * ATT_D;
    __global const float* vb = v + offV + (long) b * tk * ATT_D;
    float qr[ATT_D], gr[ATT_D], acc[ATT_D];
    float di = 0.0f;
    for (int c = 0; c < ATT_D; c++) {
        qr[c] = active ? q[offQ + row * ATT_D + c] : 0.0f;
        gr[c] = active ? dout[offDout + row * ATT_D + c] : 0.0f;
        di = fma(gr[c], active ? out[offOut + row * ATT_D + c] : 0.0f, di);
        acc[c] = 0.0f;
    }
    const float li = active ? lse[offLse + row] : INFINITY;
    for (int j0 = 0; j0 < tk; j0 += ATT_TILE) {
        const int rows = min(ATT_TILE, tk - j0);
        barrier(CLK_LOCAL_MEM_FENCE);
        att_load_tiles(kb, vb, ks, vs, j0, rows);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!active || li == INFINITY) continue;   // a query with every key dropped has no gradient
        for (int r = 0; r < rows; r++) {
            const float bias = att_bias(hasMask, mask, ms, heads, b, i, j0 + r, causal);
            if (bias == -INFINITY) continue;
            float s = 0.0f, dp = 0.0f;
            for (int c = 0; c < ATT_D; c++) {
                s = fma(qr[c], ks[r * ATT_D + c], s);
                dp = fma(gr[c], vs[r * ATT_D + c], dp);
            }
            const float p = exp(s * scale + bias - li);
            const float ds = p * (dp - di) * scale;
            for (int c = 0; c < ATT_D; c++) acc[c] = fma(ds, ks[r * ATT_D + c], acc[c]);
        }
    }
    if (!active) return;
    delta[offDelta + row] = di;
    for (int c = 0; c < ATT_D; c++) dq[offDq + row * ATT_D + c] = acc[c];
}

// Backward, part 2 (after part 1 wrote delta): one work item per key row computes
// dV_j = sum_i p_ij dO_i and dK_j = scale * sum_i p_ij (dO_i . V_j - delta_i) Q_i, streaming Q and dO.
__kernel __attribute__((reqd_work_group_size(ATT_TILE, 1, 1)))
void attention_backward_dkv(int heads, int tq, int tk, float scale, int causal,
                            __global const float* q, long offQ, __global const float* k, long offK,
                            __global const float* v, long offV, int hasMask, __global const float* mask, long offMask,
                            long4 ms, __global const float* dout, long offDout, __global const float* lse, long offLse,
                            __global const float* delta, long offDelta, __global float* dk, long offDk,
                            __global float* dv, long offDv) {
    __local float qs[ATT_TILE * ATT_D], gs[ATT_TILE * ATT_D];
    __local float ls[ATT_TILE], dls[ATT_TILE];
    const int b = get_global_id(1);
    const long j = get_global_id(0);
    const bool active = j < tk;
    mask += offMask;
    const long row = (long) b * tk + (active ? j : 0);
    __global const float* qb = q + offQ + (long) b * tq * ATT_D;
    __global const float* gb = dout + offDout + (long) b * tq * ATT_D;
    float kr[ATT_D], vr[ATT_D], dka[ATT_D], dva[ATT_D];
    for (int c = 0; c < ATT_D; c++) {
        kr[c] = active ? k[offK + row * ATT_D + c] : 0.0f;
        vr[c] = active ? v[offV + row * ATT_D + c] : 0.0f;
        dka[c] = 0.0f;
        dva[c] = 0.0f;
    }
    for (int i0 = 0; i0 < tq; i0 += ATT_TILE) {
        const int rows = min(ATT_TILE, tq - i0);
        barrier(CLK_LOCAL_MEM_FENCE);
        att_load_tiles(qb, gb, qs, gs, i0, rows);
        for (int r = get_local_id(0); r < rows; r += ATT_TILE) {
            ls[r] = lse[offLse + (long) b * tq + i0 + r];
            dls[r] = delta[offDelta + (long) b * tq + i0 + r];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!active) continue;
        for (int r = 0; r < rows; r++) {
            if (ls[r] == INFINITY) continue;   // a query with every key dropped has no gradient
            const float bias = att_bias(hasMask, mask, ms, heads, b, i0 + r, j, causal);
            if (bias == -INFINITY) continue;
            float s = 0.0f, dp = 0.0f;
            for (int c = 0; c < ATT_D; c++) {
                s = fma(qs[r * ATT_D + c], kr[c], s);
                dp = fma(gs[r * ATT_D + c], vr[c], dp);
            }
            const float p = exp(s * scale + bias - ls[r]);
            const float dsc = p * (dp - dls[r]) * scale;
            for (int c = 0; c < ATT_D; c++) {
                dva[c] = fma(p, gs[r * ATT_D + c], dva[c]);
                dka[c] = fma(dsc, qs[r * ATT_D + c], dka[c]);
            }
        }
    }
    if (!active) return;
    for (int c = 0; c < ATT_D; c++) {
        dk[offDk + row * ATT_D + c] = dka[c];
        dv[offDv + row * ATT_D + c] = dva[c];
    }
}
