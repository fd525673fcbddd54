package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;

/**
 * Float64 reference of scaled dot-product attention, from its definition: for q [N, H, Tq, D] and
 * k, v [N, H, Tk, D], {@code S = scale * q k^T + mask} (mask broadcast to [N, H, Tq, Tk]), keys
 * j > i dropped when causal (top-left aligned), {@code out = softmax(S) v}. A row with every key
 * dropped gives output 0 and log-sum-exp +inf.
 */
public final class AttentionReference {
    private AttentionReference() {}

    public record Result(HostTensor out, HostTensor logSumExp) {}

    public static Result forward(HostTensor q, HostTensor k, HostTensor v, HostTensor mask, boolean causal, double scale) {
        int batch = q.shape[0], heads = q.shape[1], tq = q.shape[2], dim = q.shape[3], tk = k.shape[2];
        HostTensor out = HostTensor.zeros(batch, heads, tq, dim), lse = HostTensor.zeros(batch, heads, tq);
        double[] s = new double[tk];
        for (int n = 0; n < batch; n++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double dot = 0;
                        for (int e = 0; e < dim; e++) dot += q.get(n, h, i, e) * k.get(n, h, j, e);
                        s[j] = scale * dot + (mask == null ? 0 : maskAt(mask, n, h, i, j));
                        if (causal && j > i) s[j] = Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        lse.set(Double.POSITIVE_INFINITY, n, h, i);
                        continue;  // output row stays 0
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) sum += Math.exp(s[j] - max);
                    lse.set(max + Math.log(sum), n, h, i);
                    for (int j = 0; j < tk; j++) {
                        double p = Math.exp(s[j] - max) / sum;
                        for (int e = 0; e < dim; e++) out.set(out.get(n, h, i, e) + p * v.get(n, h, j, e), n, h, i, e);
                    }
                }
            }
        }
        return new Result(out, lse);
    }

    /** The mask element that broadcasts onto (n, h, i, j), NumPy rules (right-aligned, extent 1 repeats). */
    static double maskAt(HostTensor mask, int n, int h, int i, int j) {
        int[] full = {n, h, i, j};
        int[] idx = new int[mask.rank()];
        for (int a = 0; a < mask.rank(); a++) {
            int fa = a + 4 - mask.rank();
            idx[a] = mask.shape[a] == 1 ? 0 : full[fa];
        }
        return mask.get(idx);
    }
}
