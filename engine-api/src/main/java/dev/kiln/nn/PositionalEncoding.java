package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;

/**
 * The sinusoidal encoding of "Attention Is All You Need" (Vaswani et al. 2017):
 * PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...), added to x [N, T, d].
 * A constant, not a parameter: it is not in the state dict.
 */
public final class PositionalEncoding extends Module {
    private final Tensor table;
    private final int maxLen, dim;

    public PositionalEncoding(Device d, int maxLen, int dim) {
        this.maxLen = maxLen;
        this.dim = dim;
        float[] pe = new float[maxLen * dim];
        for (int pos = 0; pos < maxLen; pos++) {
            for (int i = 0; i < dim; i++) {
                double angle = pos / Math.pow(10000, (i - i % 2) / (double) dim);
                pe[pos * dim + i] = (float) (i % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        table = d.fromArray(pe, maxLen, dim);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 3 || x.dim(2) != dim || x.dim(1) > maxLen) {
            throw new ShapeException("PositionalEncoding: expected [N, T <= " + maxLen + ", " + dim + "], got " + x.shape());
        }
        try (Tensor rows = table.narrow(0, 0, x.dim(1))) {
            return x.add(rows);
        }
    }

    @Override
    public void close() {
        table.close();
        super.close();
    }
}
