package dev.kiln.nn;

import dev.kiln.Functional;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;

/** {@code torch.nn.MaxPool2d}. */
public final class MaxPool2d extends Module {
    private final Pool2dParams params;

    public MaxPool2d(Pool2dParams params) { this.params = params; }

    @Override
    public Tensor forward(Tensor x) { return Functional.maxPool2d(x, params); }
}
