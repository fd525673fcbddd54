package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;

/** Layer norm, batch norm and local response norm in float64, from their definitions. */
public final class NormReference {
    private NormReference() {}

    /** Output, mean and 1/sqrt(var + eps) per group (biased variance). */
    public record Normalized(HostTensor out, double[] mean, double[] rstd) {}

    /** Over the last {@code k} axes; weight and bias (numel = group size) may be null. */
    public static Normalized layerNorm(HostTensor x, int k, double[] weight, double[] bias, double eps) {
        int group = 1;
        for (int i = x.rank() - k; i < x.rank(); i++) group *= x.shape[i];
        int groups = x.numel() / Math.max(1, group);
        double[] out = new double[x.numel()], mean = new double[groups], rstd = new double[groups];
        for (int g = 0; g < groups; g++) {
            double m = 0, v = 0;
            for (int j = 0; j < group; j++) m += x.data[g * group + j];
            m /= group;
            for (int j = 0; j < group; j++) v += sq(x.data[g * group + j] - m);
            v /= group;
            mean[g] = m;
            rstd[g] = 1 / Math.sqrt(v + eps);
            for (int j = 0; j < group; j++) {
                double y = (x.data[g * group + j] - m) * rstd[g];
                if (weight != null) y *= weight[j];
                if (bias != null) y += bias[j];
                out[g * group + j] = y;
            }
        }
        return new Normalized(new HostTensor(out, x.shape), mean, rstd);
    }

    /** Batch statistics per channel of x [N, C, ...]; {@code var} in the result is the biased batch variance. */
    public record BatchStats(HostTensor out, double[] mean, double[] var, double[] rstd) {}

    public static BatchStats batchNormTraining(HostTensor x, double[] weight, double[] bias, double eps) {
        int n = x.shape[0], c = x.shape[1], spatial = x.numel() / Math.max(1, n * c);
        double[] mean = new double[c], var = new double[c], rstd = new double[c];
        int count = n * spatial;
        for (int ch = 0; ch < c; ch++) {
            double m = 0, v = 0;
            for (int b = 0; b < n; b++) for (int s = 0; s < spatial; s++) m += x.data[(b * c + ch) * spatial + s];
            m /= count;
            for (int b = 0; b < n; b++) for (int s = 0; s < spatial; s++) v += sq(x.data[(b * c + ch) * spatial + s] - m);
            v /= count;
            mean[ch] = m;
            var[ch] = v;
            rstd[ch] = 1 / Math.sqrt(v + eps);
        }
        return new BatchStats(batchNormWith(x, mean, var, weight, bias, eps), mean, var, rstd);
    }

    /** {@code (x - mean) / sqrt(var + eps) * weight + bias} per channel. */
    public static HostTensor batchNormWith(HostTensor x, double[] mean, double[] var, double[] weight, double[] bias, double eps) {
        int n = x.shape[0], c = x.shape[1], spatial = x.numel() / Math.max(1, n * c);
        double[] out = new double[x.numel()];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < spatial; s++) {
                    int i = (b * c + ch) * spatial + s;
                    double y = (x.data[i] - mean[ch]) / Math.sqrt(var[ch] + eps);
                    if (weight != null) y *= weight[ch];
                    if (bias != null) y += bias[ch];
                    out[i] = y;
                }
            }
        }
        return new HostTensor(out, x.shape);
    }

    /** As {@code torch.nn.LocalResponseNorm(size, alpha, beta, k)} on x [N, C, ...]. */
    public static HostTensor lrn(HostTensor x, int size, double alpha, double beta, double k) {
        int n = x.shape[0], c = x.shape[1], spatial = x.numel() / Math.max(1, n * c);
        double[] out = new double[x.numel()];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < spatial; s++) {
                    double sum = 0;
                    for (int w = ch - size / 2; w <= ch + (size - 1) / 2; w++) {
                        if (w >= 0 && w < c) sum += sq(x.data[(b * c + w) * spatial + s]);
                    }
                    int i = (b * c + ch) * spatial + s;
                    out[i] = x.data[i] / Math.pow(k + alpha / size * sum, beta);
                }
            }
        }
        return new HostTensor(out, x.shape);
    }

    private static double sq(double v) { return v * v; }
}
