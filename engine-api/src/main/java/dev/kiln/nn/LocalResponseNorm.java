package dev.kiln.nn;

import dev.kiln.Functional;
import dev.kiln.LrnParams;
import dev.kiln.Tensor;

/** {@code torch.nn.LocalResponseNorm}. */
public final class LocalResponseNorm extends Module {
    private final LrnParams params;

    public LocalResponseNorm(LrnParams params) { this.params = params; }

    @Override
    public Tensor forward(Tensor x) { return Functional.lrn(x, params); }
}
