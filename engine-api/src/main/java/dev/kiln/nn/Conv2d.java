package dev.kiln.nn;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Tensor;

/** {@code torch.nn.Conv2d}: weight [out, in / groups, kh, kw], PyTorch's default initialization. */
public final class Conv2d extends Module {
    private final Conv2dParams params;

    public Conv2d(Device d, Generator g, int in, int out, int kernel, Conv2dParams p, boolean bias) {
        this(d, g, in, out, kernel, kernel, p, bias);
    }

    public Conv2d(Device d, Generator g, int in, int out, int kh, int kw, Conv2dParams p, boolean bias) {
        this.params = p;
        if (in % p.groups() != 0 || out % p.groups() != 0) {
            throw new dev.kiln.ShapeException("Conv2d: channels " + in + " -> " + out + " do not divide by groups " + p.groups());
        }
        parameter("weight", Init.defaultWeight(d, g, out, in / p.groups(), kh, kw));
        if (bias) parameter("bias", Init.defaultBias(d, g, in / p.groups() * kh * kw, out));
    }

    public Conv2dParams params() { return params; }

    @Override
    public Tensor forward(Tensor x) { return Functional.conv2d(x, tensor("weight"), has("bias") ? tensor("bias") : null, params); }
}
