package dev.kiln;

/** Convolution geometry, as {@code torch.nn.Conv2d} takes it. */
public record Conv2dParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public Conv2dParams {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1 || padH < 0 || padW < 0) {
            throw new ShapeException("conv2d: stride, dilation and groups must be >= 1 and padding >= 0, got " + this);
        }
    }

    public static Conv2dParams of(int stride, int padding) { return new Conv2dParams(stride, stride, padding, padding, 1, 1, 1); }

    public Conv2dParams withDilation(int d) { return new Conv2dParams(strideH, strideW, padH, padW, d, d, groups); }

    public Conv2dParams withGroups(int g) { return new Conv2dParams(strideH, strideW, padH, padW, dilationH, dilationW, g); }

    public int outH(int h, int kh) { return (h + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1; }

    public int outW(int w, int kw) { return (w + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1; }
}
