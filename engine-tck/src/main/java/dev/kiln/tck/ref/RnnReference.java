package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;
import java.util.List;

/**
 * Float64 reference of a stacked, optionally bidirectional LSTM or GRU, written from the equations of
 * {@code torch.nn.LSTM} and {@code torch.nn.GRU}: input [T, N, in], states [layers * directions, N, H],
 * weights w_ih, w_hh, b_ih, b_hh per layer and direction (forward first), gates LSTM i, f, g, o and
 * GRU r, z, n.
 */
public final class RnnReference {
    private RnnReference() {}

    /** Output [T, N, directions * H], final states [layers * directions, N, H] (cN null for a GRU). */
    public record Result(HostTensor output, HostTensor hN, HostTensor cN) {}

    public static Result forward(boolean lstm, int layers, boolean bidirectional, HostTensor x, HostTensor h0, HostTensor c0,
                                 List<HostTensor> weights) {
        int steps = x.shape[0], batch = x.shape[1], hidden = h0.shape[2], dirs = bidirectional ? 2 : 1;
        HostTensor hN = HostTensor.zeros(h0.shape), cN = lstm ? HostTensor.zeros(h0.shape) : null;
        HostTensor input = x;
        for (int layer = 0; layer < layers; layer++) {
            int in = input.shape[2];
            HostTensor out = HostTensor.zeros(steps, batch, dirs * hidden);
            for (int d = 0; d < dirs; d++) {
                int slot = layer * dirs + d;
                HostTensor wIh = weights.get(4 * slot), wHh = weights.get(4 * slot + 1);
                HostTensor bIh = weights.get(4 * slot + 2), bHh = weights.get(4 * slot + 3);
                for (int n = 0; n < batch; n++) {
                    double[] h = new double[hidden], c = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        h[j] = h0.get(slot, n, j);
                        if (lstm) c[j] = c0.get(slot, n, j);
                    }
                    for (int s = 0; s < steps; s++) {
                        int t = d == 0 ? s : steps - 1 - s;
                        double[] xt = new double[in];
                        for (int i = 0; i < in; i++) xt[i] = input.get(t, n, i);
                        double[] gx = affine(wIh, bIh, xt), gh = affine(wHh, bHh, h);
                        double[] hNext = new double[hidden];
                        for (int j = 0; j < hidden; j++) {
                            if (lstm) {
                                double ig = sigmoid(gx[j] + gh[j]);
                                double fg = sigmoid(gx[hidden + j] + gh[hidden + j]);
                                double gg = Math.tanh(gx[2 * hidden + j] + gh[2 * hidden + j]);
                                double og = sigmoid(gx[3 * hidden + j] + gh[3 * hidden + j]);
                                c[j] = fg * c[j] + ig * gg;
                                hNext[j] = og * Math.tanh(c[j]);
                            } else {
                                double r = sigmoid(gx[j] + gh[j]);
                                double z = sigmoid(gx[hidden + j] + gh[hidden + j]);
                                double nn = Math.tanh(gx[2 * hidden + j] + r * gh[2 * hidden + j]);
                                hNext[j] = (1 - z) * nn + z * h[j];
                            }
                        }
                        h = hNext;
                        for (int j = 0; j < hidden; j++) out.set(h[j], t, n, d * hidden + j);
                    }
                    for (int j = 0; j < hidden; j++) {
                        hN.set(h[j], slot, n, j);
                        if (lstm) cN.set(c[j], slot, n, j);
                    }
                }
            }
            input = out;
        }
        return new Result(input, hN, cN);
    }

    /** {@code w v + b} for w [rows, cols]. */
    private static double[] affine(HostTensor w, HostTensor b, double[] v) {
        int rows = w.shape[0], cols = w.shape[1];
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double acc = b.data[r];
            for (int k = 0; k < cols; k++) acc += w.data[r * cols + k] * v[k];
            out[r] = acc;
        }
        return out;
    }

    private static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }
}
