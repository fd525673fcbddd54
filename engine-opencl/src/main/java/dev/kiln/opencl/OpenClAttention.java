package dev.kiln.opencl;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.composite.AttentionComposite;

/**
 * Scaled dot-product attention on attention.cl: a FlashAttention-style forward (K and V tiles in
 * local memory, online softmax, output and log-sum-exp written once, no Tq x Tk matrix) and a
 * two-kernel backward (dQ and delta per query row, then dK and dV per key row), deterministic, without
 * atomics. The log-sum-exp follows the composite's convention (+inf for a row with every key dropped),
 * so either side's backward reads the other's forward. The program is built per head size; head
 * sizes above {@link #MAX_HEAD_SIZE} (private arrays too large) and empty inputs take the composite.
 */
final class OpenClAttention {
    static final int MAX_HEAD_SIZE = 256;
    private static final int MAX_TILE = 32;

    private final OpenClBackend backend;

    OpenClAttention(OpenClBackend backend) { this.backend = backend; }

    private static boolean supported(Tensor q, Tensor k) {
        return q.dim(3) >= 1 && q.dim(3) <= MAX_HEAD_SIZE && q.numel() > 0 && k.numel() > 0;
    }

    /** Rows per tile: up to 32, halved until the backward's tiles (q, dO, lse, delta) fit in local memory. */
    private int tile(int d) {
        int t = (int) Math.min(MAX_TILE, Long.highestOneBit(Math.max(1, backend.device().maxWorkGroupSize())));
        while (t > 1 && (2L * t * d + 2L * t) * Float.BYTES > backend.device().localMemBytes()) t /= 2;
        return t;
    }

    private long program(int d, int tile) {
        return backend.programs().get("attention.cl", "#define ATT_D " + d + "\n#define ATT_TILE " + tile + "\n");
    }

    private KernelCall arg(KernelCall call, Tensor t) {
        var v = t.view();
        return call.mem(Checks.buffer(backend, "attention", v.buffer())).i64(v.offset());
    }

    /** The common head of every kernel's arguments: sizes, scale, causal, q, k, v and the mask with its broadcast strides. */
    private KernelCall call(String kernel, int tile, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        int n = q.dim(0), heads = q.dim(1), tq = q.dim(2), tk = k.dim(2);
        KernelCall call = backend.ctx().kernel(program(q.dim(3), tile), kernel).i32(heads).i32(tq).i32(tk)
                .f32((float) scale).i32(causal ? 1 : 0);
        arg(call, q);
        arg(call, k);
        arg(call, v);
        call.i32(mask != null ? 1 : 0);
        if (mask == null) return arg(call, q).long4(0, 0, 0, 0);
        long[] st = mask.view().broadcastTo(new int[] {n, heads, tq, tk}).strides();
        return arg(call, mask).long4(st[0], st[1], st[2], st[3]);
    }

    private static void launch(KernelCall call, int rows, int batches, int tile) {
        long groups = (rows + tile - 1) / tile;
        call.launch(new long[] {groups * tile, batches}, new long[] {tile, 1});
    }

    AttentionResult forward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        if (!supported(q, k)) return AttentionComposite.forward(q, k, v, mask, causal, scale);
        int tile = tile(q.dim(3));
        Tensor out = q.device().empty(DType.F32, q.shape().dims());
        Tensor lse = q.device().empty(DType.F32, q.dim(0), q.dim(1), q.dim(2));
        KernelCall call = call("attention_forward", tile, q, k, v, mask, causal, scale);
        arg(call, out);
        arg(call, lse);
        launch(call, q.dim(2), q.dim(0) * q.dim(1), tile);
        return new AttentionResult(out.markWritten(), lse.markWritten());
    }

    AttentionGrads backward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale,
                            AttentionResult forward) {
        if (!supported(q, k)) return AttentionComposite.backward(gradOut, q, k, v, mask, causal, scale, forward);
        int tile = tile(q.dim(3)), batches = q.dim(0) * q.dim(1);
        Tensor dq = q.device().empty(DType.F32, q.shape().dims());
        Tensor dk = k.device().empty(DType.F32, k.shape().dims());
        Tensor dv = v.device().empty(DType.F32, v.shape().dims());
        try (Tensor delta = q.device().empty(DType.F32, q.dim(0), q.dim(1), q.dim(2))) {
            KernelCall call = call("attention_backward_dq", tile, q, k, v, mask, causal, scale);
            arg(call, forward.out());
            arg(call, gradOut);
            arg(call, forward.logSumExp());
            arg(call, delta);
            arg(call, dq);
            launch(call, q.dim(2), batches, tile);
            call = call("attention_backward_dkv", tile, q, k, v, mask, causal, scale);
            arg(call, gradOut);
            arg(call, forward.logSumExp());
            arg(call, delta.markWritten());
            arg(call, dk);
            arg(call, dv);
            launch(call, k.dim(2), batches, tile);
        }
        return new AttentionGrads(dq.markWritten(), dk.markWritten(), dv.markWritten());
    }
}
