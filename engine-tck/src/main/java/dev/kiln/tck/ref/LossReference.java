package dev.kiln.tck.ref;

import dev.kiln.Reduction;
import dev.kiln.tck.HostTensor;

/**
 * {@code torch.nn.functional.cross_entropy(logits, target, ignore_index, label_smoothing, reduction)}
 * in float64, without class weights: per row {@code (1 - e) * -logp[t] + e / C * sum_c -logp[c]},
 * 0 for an ignored row; MEAN divides by the number of rows not ignored (0 / 0 = NaN when none).
 */
public final class LossReference {
    private LossReference() {}

    public static HostTensor crossEntropy(HostTensor logits, long[] target, int ignoreIndex, double smoothing, Reduction reduction) {
        int n = logits.shape[0], c = logits.shape[1];
        HostTensor logp = SoftmaxReference.logSoftmax(logits, 1);
        double[] rows = new double[n];
        double total = 0;
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (target[i] == ignoreIndex) continue;
            double all = 0;
            for (int j = 0; j < c; j++) all += -logp.data[i * c + j];
            rows[i] = (1 - smoothing) * -logp.data[i * c + (int) target[i]] + smoothing / c * all;
            total += rows[i];
            counted++;
        }
        return switch (reduction) {
            case NONE -> new HostTensor(rows, n);
            case SUM -> new HostTensor(new double[] {total});
            case MEAN -> new HostTensor(new double[] {total / counted});
        };
    }
}
