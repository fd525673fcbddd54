package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Tensor;

/** {@code torch.nn.Embedding}: weight [num, dim] drawn from N(0, 1); ids (I64 or I32) of any shape give [..., dim]. */
public final class Embedding extends Module {
    private final int dim;

    public Embedding(Device d, Generator g, int num, int dim) {
        this.dim = dim;
        parameter("weight", Init.normal(d, g, 1, num, dim));
    }

    @Override
    public Tensor forward(Tensor ids) {
        int[] outShape = java.util.Arrays.copyOf(ids.shape().dims(), ids.rank() + 1);
        outShape[ids.rank()] = dim;
        try (Tensor flat = ids.reshape(-1); Tensor rows = tensor("weight").indexSelect(0, flat)) {
            return rows.reshape(outShape);
        }
    }
}
