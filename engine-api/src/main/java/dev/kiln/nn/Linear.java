package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Tensor;

/** {@code torch.nn.Linear}: y = x W^T + b, weight [out, in], PyTorch's default initialization. */
public final class Linear extends Module {
    private final int in, out;

    public Linear(Device d, Generator g, int in, int out, boolean bias) {
        this.in = in;
        this.out = out;
        parameter("weight", Init.defaultWeight(d, g, out, in));
        if (bias) parameter("bias", Init.defaultBias(d, g, in, out));
    }

    public int inFeatures() { return in; }

    public int outFeatures() { return out; }

    @Override
    public Tensor forward(Tensor x) { return Functional.linear(x, tensor("weight"), has("bias") ? tensor("bias") : null); }
}
