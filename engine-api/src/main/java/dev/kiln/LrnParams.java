package dev.kiln;

/**
 * Local response normalization across channels, as {@code torch.nn.LocalResponseNorm}:
 * {@code out = x / (k + alpha / size * sum_{c' in window} x[c']^2)^beta}, window of {@code size}
 * channels centred on c (size/2 before, (size-1)/2 after), zero-padded.
 */
public record LrnParams(int size, double alpha, double beta, double k) {
    public LrnParams {
        if (size < 1) throw new ShapeException("lrn: size must be >= 1, got " + size);
    }
}
