package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;

/**
 * Float64 references for 2-D pooling, as nested loops over PyTorch's definitions (max_pool2d,
 * avg_pool2d with ceil_mode and count_include_pad, adaptive_avg_pool2d). Geometry arrays are
 * {kernelH, kernelW, strideH, strideW, padH, padW}.
 */
public final class PoolReference {
    private PoolReference() {}

    /** Output extent along one axis: with ceil mode the last window must start inside the input or its left padding. */
    public static int outSize(int in, int kernel, int stride, int pad, boolean ceil) {
        int span = in + 2 * pad - kernel;
        int out = (ceil ? -Math.floorDiv(-span, stride) : Math.floorDiv(span, stride)) + 1;
        if (ceil && (out - 1) * stride >= in + pad) out--;
        return out;
    }

    /** Max over the window's input elements (padding never wins; NaN propagates, as in PyTorch). */
    public static HostTensor maxPool(HostTensor x, int[] geo, boolean ceil) {
        return maxPool(x, geo, ceil, null, null);
    }

    /** The gradient of max pooling: each output's gradient goes to the first maximum of its window (row-major). */
    public static HostTensor maxPoolBackward(HostTensor x, HostTensor gradOut, int[] geo, boolean ceil) {
        HostTensor gradX = HostTensor.zeros(x.shape);
        maxPool(x, geo, ceil, gradOut, gradX);
        return gradX;
    }

    private static HostTensor maxPool(HostTensor x, int[] geo, boolean ceil, HostTensor gradOut, HostTensor gradX) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int oh = outSize(h, geo[0], geo[2], geo[4], ceil), ow = outSize(w, geo[1], geo[3], geo[5], ceil);
        HostTensor y = HostTensor.zeros(n, c, oh, ow);
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int br = -1, bc = -1;
                        for (int r = i * geo[2] - geo[4]; r < i * geo[2] - geo[4] + geo[0]; r++) {
                            for (int s = j * geo[3] - geo[5]; s < j * geo[3] - geo[5] + geo[1]; s++) {
                                if (r < 0 || r >= h || s < 0 || s >= w) continue;
                                double v = x.get(b, ch, r, s);
                                if (br < 0 || v > best || (Double.isNaN(v) && !Double.isNaN(best))) {  // NaN wins and stays
                                    best = v;
                                    br = r;
                                    bc = s;
                                }
                            }
                        }
                        y.set(best, b, ch, i, j);
                        if (gradX != null) gradX.set(gradX.get(b, ch, br, bc) + gradOut.get(b, ch, i, j), b, ch, br, bc);
                    }
                }
            }
        }
        return y;
    }

    /**
     * Average over the window. The divisor counts the window clipped to the padded input (a ceil-mode
     * window's overhang past the padding never counts); without countIncludePad, clipped to the input.
     */
    public static HostTensor avgPool(HostTensor x, int[] geo, boolean ceil, boolean countIncludePad) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int oh = outSize(h, geo[0], geo[2], geo[4], ceil), ow = outSize(w, geo[1], geo[3], geo[5], ceil);
        HostTensor y = HostTensor.zeros(n, c, oh, ow);
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int r0 = i * geo[2] - geo[4], r1 = Math.min(r0 + geo[0], h + geo[4]);
                        int s0 = j * geo[3] - geo[5], s1 = Math.min(s0 + geo[1], w + geo[5]);
                        double sum = 0;
                        int inside = 0;
                        for (int r = Math.max(r0, 0); r < Math.min(r1, h); r++) {
                            for (int s = Math.max(s0, 0); s < Math.min(s1, w); s++) {
                                sum += x.get(b, ch, r, s);
                                inside++;
                            }
                        }
                        int divisor = countIncludePad ? (r1 - r0) * (s1 - s0) : inside;
                        y.set(sum / divisor, b, ch, i, j);
                    }
                }
            }
        }
        return y;
    }

    /** torch.nn.functional.adaptive_avg_pool2d: window i spans [floor(i*H/outH), ceil((i+1)*H/outH)). */
    public static HostTensor adaptiveAvgPool(HostTensor x, int outH, int outW) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        HostTensor y = HostTensor.zeros(n, c, outH, outW);
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < outH; i++) {
                    int r0 = Math.floorDiv(i * h, outH), r1 = -Math.floorDiv(-(i + 1) * h, outH);
                    for (int j = 0; j < outW; j++) {
                        int s0 = Math.floorDiv(j * w, outW), s1 = -Math.floorDiv(-(j + 1) * w, outW);
                        double sum = 0;
                        for (int r = r0; r < r1; r++) for (int s = s0; s < s1; s++) sum += x.get(b, ch, r, s);
                        y.set(sum / ((r1 - r0) * (s1 - s0)), b, ch, i, j);
                    }
                }
            }
        }
        return y;
    }
}
