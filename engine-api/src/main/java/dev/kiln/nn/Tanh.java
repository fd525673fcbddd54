package dev.kiln.nn;

import dev.kiln.Tensor;

/** {@code torch.nn.Tanh}. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.tanh(); }
}
