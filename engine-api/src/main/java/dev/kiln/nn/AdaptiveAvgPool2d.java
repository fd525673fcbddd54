package dev.kiln.nn;

import dev.kiln.Functional;
import dev.kiln.Tensor;

/** {@code torch.nn.AdaptiveAvgPool2d}. */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH, outW;

    public AdaptiveAvgPool2d(int outH, int outW) {
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x) { return Functional.adaptiveAvgPool2d(x, outH, outW); }
}
