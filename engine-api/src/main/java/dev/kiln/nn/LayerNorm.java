package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.NormResult;
import dev.kiln.Tensor;

/** {@code torch.nn.LayerNorm} over the trailing {@code normalizedShape}, with elementwise affine. */
public final class LayerNorm extends Module {
    private final int dims;
    private final double eps;

    public LayerNorm(Device d, double eps, int... normalizedShape) {
        this.dims = normalizedShape.length;
        this.eps = eps;
        parameter("weight", d.ones(normalizedShape));
        parameter("bias", d.zeros(normalizedShape));
    }

    public LayerNorm(Device d, int... normalizedShape) { this(d, 1e-5, normalizedShape); }

    @Override
    public Tensor forward(Tensor x) {
        NormResult r = Functional.layerNorm(x, dims, tensor("weight"), tensor("bias"), eps);
        r.mean().close();
        r.rstd().close();
        return r.out();
    }
}
