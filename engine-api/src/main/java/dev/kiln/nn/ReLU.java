package dev.kiln.nn;

import dev.kiln.Tensor;

/** {@code torch.nn.ReLU}. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.relu(); }
}
