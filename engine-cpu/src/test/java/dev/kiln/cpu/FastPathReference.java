package dev.kiln.cpu;

import dev.kiln.Conv2dParams;
import dev.kiln.Pool2dParams;

/** Float64 host definitions of convolution and pooling, written as the textbook loops (independent of the backend's code). */
final class FastPathReference {
    private FastPathReference() {}

    /** x [n, c, h, w], w [oc, c/g, kh, kw]: out [n, oc, oh, ow]. */
    static double[] conv(double[] x, int[] xs, double[] w, int[] ws, double[] bias, Conv2dParams p) {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], oc = ws[0], kh = ws[2], kw = ws[3], g = p.groups();
        int cg = c / g, ocg = oc / g, oh = p.outH(h, kh), ow = p.outW(wd, kw);
        double[] out = new double[n * oc * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                int grp = o / ocg;
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int ci = 0; ci < cg; ci++) {
                            for (int i = 0; i < kh; i++) {
                                int iy = y * p.strideH() - p.padH() + i * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int j = 0; j < kw; j++) {
                                    int ix = xx * p.strideW() - p.padW() + j * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    s += x[((b * c + grp * cg + ci) * h + iy) * wd + ix] * w[((o * cg + ci) * kh + i) * kw + j];
                                }
                            }
                        }
                        out[((b * oc + o) * oh + y) * ow + xx] = s;
                    }
                }
            }
        }
        return out;
    }

    /** The gradients of {@link #conv} for gradOut: {input gradient, weight gradient}. */
    static double[][] convBackward(double[] gy, double[] x, int[] xs, double[] w, int[] ws, Conv2dParams p) {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], oc = ws[0], kh = ws[2], kw = ws[3], g = p.groups();
        int cg = c / g, ocg = oc / g, oh = p.outH(h, kh), ow = p.outW(wd, kw);
        double[] dx = new double[x.length], dw = new double[w.length];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                int grp = o / ocg;
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double go = gy[((b * oc + o) * oh + y) * ow + xx];
                        for (int ci = 0; ci < cg; ci++) {
                            for (int i = 0; i < kh; i++) {
                                int iy = y * p.strideH() - p.padH() + i * p.dilationH();
                                if (iy < 0 || iy >= h) continue;
                                for (int j = 0; j < kw; j++) {
                                    int ix = xx * p.strideW() - p.padW() + j * p.dilationW();
                                    if (ix < 0 || ix >= wd) continue;
                                    int xi = ((b * c + grp * cg + ci) * h + iy) * wd + ix, wi = ((o * cg + ci) * kh + i) * kw + j;
                                    dx[xi] += go * w[wi];
                                    dw[wi] += go * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw};
    }

    /** Pooling of one plane per (n, c): max (NaN propagates) or average; the PyTorch divisor rules. */
    static double[] pool(double[] x, int planes, int h, int w, Pool2dParams p, boolean max) {
        int oh = p.outH(h), ow = p.outW(w);
        double[] out = new double[planes * oh * ow];
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int hs = i * p.strideH() - p.padH(), ws = j * p.strideW() - p.padW();
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int count = 0;
                    for (int y = hs; y < hs + p.kernelH(); y++) {
                        for (int xx = ws; xx < ws + p.kernelW(); xx++) {
                            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                            double v = x[(pl * h + y) * w + xx];
                            acc = max ? Math.max(acc, v) : acc + v;
                            count++;
                        }
                    }
                    int he = Math.min(hs + p.kernelH(), h + p.padH()), we = Math.min(ws + p.kernelW(), w + p.padW());
                    double div = p.countIncludePad() ? (he - hs) * (we - ws) : count;
                    out[(pl * oh + i) * ow + j] = max ? acc : acc / div;
                }
            }
        }
        return out;
    }

    /** Max pooling's input gradient: each output gradient to its window's first maximum (row-major). */
    static double[] maxPoolBackward(double[] gy, double[] x, int planes, int h, int w, Pool2dParams p) {
        int oh = p.outH(h), ow = p.outW(w);
        double[] dx = new double[x.length];
        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = -1;
                    for (int y = Math.max(0, i * p.strideH() - p.padH()); y < Math.min(h, i * p.strideH() - p.padH() + p.kernelH()); y++) {
                        for (int xx = Math.max(0, j * p.strideW() - p.padW()); xx < Math.min(w, j * p.strideW() - p.padW() + p.kernelW()); xx++) {
                            int at = (pl * h + y) * w + xx;
                            if (best < 0 || x[at] > x[best]) best = at;
                        }
                    }
                    dx[best] += gy[(pl * oh + i) * ow + j];
                }
            }
        }
        return dx;
    }
}
