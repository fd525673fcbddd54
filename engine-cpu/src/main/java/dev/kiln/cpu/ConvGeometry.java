package dev.kiln.cpu;

import dev.kiln.Conv2dParams;

/** The sizes of one convolution: input [n, c, h, w], weight [oc, c / groups, kh, kw], output [n, oc, oh, ow]. */
record ConvGeometry(int n, int c, int h, int w, int oc, int kh, int kw, int oh, int ow, Conv2dParams p) {
    static ConvGeometry of(int[] x, int[] weight, Conv2dParams p) {
        int kh = weight[2], kw = weight[3];
        return new ConvGeometry(x[0], x[1], x[2], x[3], weight[0], kh, kw, p.outH(x[2], kh), p.outW(x[3], kw), p);
    }

    int groups() { return p.groups(); }
    int cg() { return c / p.groups(); }
    int ocg() { return oc / p.groups(); }
    /** The contraction length of one group: C/G * KH * KW. */
    int k() { return cg() * kh * kw; }
    int positions() { return oh * ow; }
    int plane() { return h * w; }

    /** A 1x1 kernel, stride 1, no padding: the input planes are already the column matrix. */
    boolean pointwise() {
        return kh == 1 && kw == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
    }
}
