package dev.kiln;

/**
 * A normalization's output and what its backward pass needs: the mean and 1/sqrt(var + eps) per group.
 * Their shapes are part of the contract (the conformance kit checks them): layer norm keeps x's rank
 * with extent 1 on the normalized axes, as PyTorch's {@code native_layer_norm}; batch norm gives [C].
 */
public record NormResult(Tensor out, Tensor mean, Tensor rstd) implements AutoCloseable {
    @Override public void close() { out.close(); mean.close(); rstd.close(); }
}
