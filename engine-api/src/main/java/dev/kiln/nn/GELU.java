package dev.kiln.nn;

import dev.kiln.Tensor;

/** {@code torch.nn.GELU (exact erf form)}. */
public final class GELU extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.gelu(); }
}
