package dev.kiln.nn;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.NormResult;
import dev.kiln.Tensor;

/**
 * {@code torch.nn.BatchNorm2d} (affine, tracking running statistics): batch statistics in training
 * mode (updating running_mean, running_var and num_batches_tracked), running statistics in evaluation.
 */
public final class BatchNorm2d extends Module {
    private final double eps, momentum;

    public BatchNorm2d(Device d, int channels) { this(d, channels, 1e-5, 0.1); }

    public BatchNorm2d(Device d, int channels, double eps, double momentum) {
        this.eps = eps;
        this.momentum = momentum;
        parameter("weight", d.ones(channels));
        parameter("bias", d.zeros(channels));
        buffer("running_mean", d.zeros(channels));
        buffer("running_var", d.ones(channels));
        buffer("num_batches_tracked", d.zeros(DType.I64));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining()) {
            return Functional.batchNormInference(x, tensor("weight"), tensor("bias"), tensor("running_mean"), tensor("running_var"), eps);
        }
        NormResult r = Functional.batchNormTraining(x, tensor("weight"), tensor("bias"), tensor("running_mean"), tensor("running_var"), momentum, eps);
        r.mean().close();
        r.rstd().close();
        Tensor count = tensor("num_batches_tracked");
        try (Tensor next = count.add(1)) {
            count.assign(next);
        }
        return r.out();
    }
}
