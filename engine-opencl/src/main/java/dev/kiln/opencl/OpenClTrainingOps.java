package dev.kiln.opencl;

import dev.kiln.AdamParams;
import dev.kiln.DType;
import dev.kiln.DropoutResult;
import dev.kiln.Reduction;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;

/**
 * The training-loop fast paths of the OpenCL backend (train.cl, random.cl): cross-entropy forward and
 * backward in one pass per row instead of a log-softmax, a gather and masks; dropout as one Philox
 * pass writing output and mask; SGD and Adam/AdamW as one fused update per parameter instead of five
 * to eight elementwise launches and their temporaries. The maths and the bits of the random stream
 * are those of the composite defaults (and of the CUDA kernels).
 */
final class OpenClTrainingOps {
    private final OpenClBackend backend;

    OpenClTrainingOps(OpenClBackend backend) { this.backend = backend; }

    private long program() { return backend.programs().get("train.cl", ""); }

    private KernelCall kernel(String name) { return backend.ctx().kernel(program(), name); }

    /** A tensor as a (buffer, element offset) argument pair. */
    private KernelCall arg(KernelCall call, String op, Tensor t) {
        var v = t.view();
        return call.mem(Checks.buffer(backend, op, v.buffer())).i64(v.offset());
    }

    Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        int n = logits.dim(0), c = logits.dim(1);
        Tensor loss = logits.device().empty(DType.F32, n);
        try (Tensor valid = logits.device().empty(DType.F32, n)) {
            if (n > 0) {
                KernelCall call = kernel("cross_entropy_forward").i64(n).i32(c).i64(ignoreIndex).f32((float) labelSmoothing);
                arg(call, "crossEntropy", logits);
                arg(call, "crossEntropy", target);
                arg(call, "crossEntropy", loss);
                arg(call, "crossEntropy", valid);
                call.launch1d(n);
            }
            loss.markWritten();
            valid.markWritten();
            if (reduction == Reduction.NONE) return loss;
            try (loss; Tensor total = loss.sum()) {
                if (reduction == Reduction.SUM) return total.copy();
                try (Tensor count = valid.sum()) {
                    return total.div(count);   // every target ignored: 0 / 0 = NaN, as PyTorch gives
                }
            }
        }
    }

    Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                Reduction reduction) {
        int n = logits.dim(0), c = logits.dim(1);
        Tensor grad = logits.device().empty(DType.F32, n, c);
        if (n == 0 || c == 0) return grad.markWritten();
        Tensor count = null;
        try {
            if (reduction == Reduction.MEAN) {
                try (Tensor counted = target.ne(ignoreIndex)) {
                    count = counted.sum();
                }
            }
            KernelCall call = kernel("cross_entropy_backward").i64(n).i32(c).i64(ignoreIndex).f32((float) labelSmoothing);
            arg(call, "crossEntropyBackward", logits);
            arg(call, "crossEntropyBackward", target);
            arg(call, "crossEntropyBackward", gradLoss).i64(reduction == Reduction.NONE ? 1 : 0);
            call.i32(count != null ? 1 : 0);
            arg(call, "crossEntropyBackward", count != null ? count : gradLoss);
            arg(call, "crossEntropyBackward", grad);
            call.launch1d(n);
            return grad.markWritten();
        } finally {
            if (count != null) count.close();
        }
    }

    DropoutResult dropout(Tensor x, double p, long seed, long offset) {
        Tensor out = x.device().empty(DType.F32, x.shape().dims());
        Tensor mask = x.device().empty(DType.F32, x.shape().dims());
        long n = x.numel();
        if (n > 0) {
            long threshold = (long) Math.ceil(p * 0x1p24);   // keep when the 24-bit uniform word >= p * 2^24
            KernelCall call = backend.ctx().kernel(backend.randomProgram(), "dropout_forward").i64(seed).i64(offset).i64(n)
                    .i64(threshold).f32((float) (1 / (1 - p)));
            arg(call, "dropout", x);
            arg(call, "dropout", out);
            arg(call, "dropout", mask);
            call.launch1d((n + 3) / 4);
        }
        return new DropoutResult(out.markWritten(), mask.markWritten());
    }

    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        long n = param.numel();
        if (n == 0) return;
        boolean momentum = p.momentum() != 0;
        KernelCall call = kernel("sgd_step").i64(n).f32((float) p.lr()).f32((float) p.momentum()).f32((float) (1 - p.dampening()))
                .f32((float) p.weightDecay()).i32(p.nesterov() ? 1 : 0).i32(step <= 1 ? 1 : 0);
        arg(call, "sgdStep", param);
        arg(call, "sgdStep", grad);
        arg(call, "sgdStep", momentum ? momentumBuffer : param);   // read only with momentum
        call.launch1d(n);
        param.markWritten();
        if (momentum) momentumBuffer.markWritten();
    }

    void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        long n = param.numel();
        if (n == 0) return;
        // the (1 - x) factors and bias corrections in double, as the composite computes them
        double stepSize = p.lr() / (1 - Math.pow(p.beta1(), step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(p.beta2(), step));
        KernelCall call = kernel("adam_step").i64(n).f32((float) (1 - p.beta1())).f32((float) p.beta2())
                .f32((float) (1 - p.beta2())).f32((float) p.eps()).f32((float) p.weightDecay()).i32(p.decoupled() ? 1 : 0)
                .f32((float) (1 - p.lr() * p.weightDecay())).f32((float) stepSize).f32((float) bc2Sqrt);
        arg(call, "adamStep", param);
        arg(call, "adamStep", grad);
        arg(call, "adamStep", m);
        arg(call, "adamStep", v);
        call.launch1d(n);
        param.markWritten();
        m.markWritten();
        v.markWritten();
    }
}
