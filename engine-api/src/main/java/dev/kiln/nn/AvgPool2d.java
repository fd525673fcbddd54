package dev.kiln.nn;

import dev.kiln.Functional;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;

/** {@code torch.nn.AvgPool2d}. */
public final class AvgPool2d extends Module {
    private final Pool2dParams params;

    public AvgPool2d(Pool2dParams params) { this.params = params; }

    @Override
    public Tensor forward(Tensor x) { return Functional.avgPool2d(x, params); }
}
