package dev.kiln.nn;

import dev.kiln.Tensor;

/** Small helpers shared by the layers. */
final class Layers {
    private Layers() {}

    /** A new tensor object over the same buffer: what an identity layer returns, so the caller owns it like any output. */
    static Tensor alias(Tensor x) { return x.reshape(x.shape().dims()); }

    /** The Transformer layers' feed-forward block, linear2(dropout(act(linear1(x)))), with ReLU or GELU; run inside the caller's scope. */
    static Tensor feedForward(Linear linear1, Dropout dropout, Linear linear2, boolean gelu, Tensor x) {
        Tensor a = linear1.forward(x);
        Tensor act = gelu ? a.gelu() : a.relu();
        return linear2.forward(dropout.forward(act));
    }
}
