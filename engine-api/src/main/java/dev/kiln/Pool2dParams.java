package dev.kiln;

/** Pooling geometry, as {@code torch.nn.MaxPool2d} / {@code AvgPool2d} take it (dilation 1). */
public record Pool2dParams(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                           boolean ceilMode, boolean countIncludePad) {
    public Pool2dParams {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new ShapeException("pool2d: kernel and stride must be >= 1 and padding >= 0, got " + this);
        }
        if (padH * 2 > kernelH || padW * 2 > kernelW) {
            throw new ShapeException("pool2d: padding must be at most half the kernel, got " + this);
        }
    }

    public static Pool2dParams of(int kernel, int stride, int padding) {
        return new Pool2dParams(kernel, kernel, stride, stride, padding, padding, false, true);
    }

    public Pool2dParams withCeilMode(boolean c) { return new Pool2dParams(kernelH, kernelW, strideH, strideW, padH, padW, c, countIncludePad); }

    public Pool2dParams withCountIncludePad(boolean c) { return new Pool2dParams(kernelH, kernelW, strideH, strideW, padH, padW, ceilMode, c); }

    public int outH(int h) { return outSize(h, kernelH, strideH, padH); }

    public int outW(int w) { return outSize(w, kernelW, strideW, padW); }

    /** PyTorch's rule: with ceil mode, the last window must start inside the input or its left padding. */
    private int outSize(int in, int k, int s, int p) {
        int num = in + 2 * p - k;
        int out = (ceilMode ? Math.ceilDiv(num, s) : Math.floorDiv(num, s)) + 1;
        if (ceilMode && (long) (out - 1) * s >= in + p) out--;
        return out;
    }
}
