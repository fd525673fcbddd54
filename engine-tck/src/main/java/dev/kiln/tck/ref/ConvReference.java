package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;
import java.util.function.UnaryOperator;

/**
 * Float64 references for linear layers and 2-D convolution, written from the definitions as
 * nested loops, and a central-difference gradient of any reference forward.
 */
public final class ConvReference {
    private ConvReference() {}

    /** {@code x @ w^T + bias}: x [..., in], w [out, in], bias [out] or null. */
    public static HostTensor linear(HostTensor x, HostTensor w, HostTensor bias) {
        int out = w.shape[0], in = w.shape[1];
        int rows = in == 0 ? rowsOf(x) : x.numel() / in;
        int[] dims = x.shape.clone();
        dims[dims.length - 1] = out;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = bias == null ? 0 : bias.data[o];
                for (int i = 0; i < in; i++) acc += x.data[r * in + i] * w.data[o * in + i];
                y[r * out + o] = acc;
            }
        }
        return new HostTensor(y, dims);
    }

    private static int rowsOf(HostTensor x) {
        int rows = 1;
        for (int i = 0; i < x.rank() - 1; i++) rows *= x.shape[i];
        return rows;
    }

    /** Output extent of a convolution along one axis, as torch.nn.Conv2d defines it. */
    public static int outSize(int in, int kernel, int stride, int pad, int dilation) {
        return Math.floorDiv(in + 2 * pad - dilation * (kernel - 1) - 1, stride) + 1;
    }

    /**
     * torch.nn.functional.conv2d: x [N, C, H, W], w [OC, C/groups, KH, KW], bias [OC] or null;
     * {@code geometry} = {strideH, strideW, padH, padW, dilationH, dilationW, groups}.
     */
    public static HostTensor conv2d(HostTensor x, HostTensor w, HostTensor bias, int... geometry) {
        int sh = geometry[0], sw = geometry[1], ph = geometry[2], pw = geometry[3], dh = geometry[4], dw = geometry[5], groups = geometry[6];
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int oc = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
        int oh = outSize(h, kh, sh, ph, dh), ow = outSize(wd, kw, sw, pw, dw);
        int ocg = oc / groups;
        HostTensor y = HostTensor.zeros(n, oc, oh, ow);
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                int g = o / ocg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias == null ? 0 : bias.data[o];
                        for (int ci = 0; ci < cg; ci++) {
                            int xPlane = (b * c + g * cg + ci) * h * wd, wPlane = (o * cg + ci) * kh * kw;
                            for (int u = 0; u < kh; u++) {
                                int r = i * sh - ph + u * dh;
                                if (r < 0 || r >= h) continue;
                                for (int v = 0; v < kw; v++) {
                                    int s = j * sw - pw + v * dw;
                                    if (s < 0 || s >= wd) continue;
                                    acc += x.data[xPlane + r * wd + s] * w.data[wPlane + u * kw + v];
                                }
                            }
                        }
                        y.data[((b * oc + o) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    /**
     * The gradient of {@code L(x) = sum(gradOut * f(x))} by central differences in float64 with step
     * {@code eps}: exact up to rounding for functions linear in x (convolution, average pooling), and
     * for piecewise-linear ones (max pooling) when no two competing values are within eps.
     */
    public static HostTensor numericGradient(UnaryOperator<HostTensor> f, HostTensor x, HostTensor gradOut, double eps) {
        double[] g = new double[x.numel()];
        HostTensor probe = new HostTensor(x.data.clone(), x.shape);
        for (int i = 0; i < g.length; i++) {
            double keep = probe.data[i];
            probe.data[i] = keep + eps;
            double up = dot(gradOut, f.apply(probe));
            probe.data[i] = keep - eps;
            double down = dot(gradOut, f.apply(probe));
            probe.data[i] = keep;
            g[i] = (up - down) / (2 * eps);
        }
        return new HostTensor(g, x.shape);
    }

    private static double dot(HostTensor a, HostTensor b) {
        if (a.numel() != b.numel()) throw new IllegalArgumentException("gradOut " + a + " does not match output " + b);
        double s = 0;
        for (int i = 0; i < a.numel(); i++) s += a.data[i] * b.data[i];
        return s;
    }
}
