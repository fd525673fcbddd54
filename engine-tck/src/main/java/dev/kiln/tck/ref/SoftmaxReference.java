package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;

/** Softmax and log-softmax along an axis, in float64, straight from the definition (max subtracted). */
public final class SoftmaxReference {
    private SoftmaxReference() {}

    public static HostTensor softmax(HostTensor x, int axis) { return apply(x, axis, false); }

    public static HostTensor logSoftmax(HostTensor x, int axis) { return apply(x, axis, true); }

    private static HostTensor apply(HostTensor x, int axis, boolean log) {
        int n = x.shape[axis], inner = 1, outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.shape[i];
        for (int i = axis + 1; i < x.rank(); i++) inner *= x.shape[i];
        double[] out = new double[x.numel()];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * n * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) max = Math.max(max, x.data[base + j * inner]);
                double sum = 0;
                for (int j = 0; j < n; j++) sum += Math.exp(x.data[base + j * inner] - max);
                for (int j = 0; j < n; j++) {
                    double shifted = x.data[base + j * inner] - max;
                    out[base + j * inner] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
                }
            }
        }
        return new HostTensor(out, x.shape);
    }
}
