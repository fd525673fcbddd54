package dev.kiln;

/** A normalization's output and what its backward pass needs: the mean and 1/sqrt(var + eps) per group. */
public record NormResult(Tensor out, Tensor mean, Tensor rstd) implements AutoCloseable {
    @Override public void close() { out.close(); mean.close(); rstd.close(); }
}
