package dev.kiln;

/** Attention output [N, H, Tq, D] and the log-sum-exp of each score row [N, H, Tq], kept for the backward pass. */
public record AttentionResult(Tensor out, Tensor logSumExp) implements AutoCloseable {
    @Override public void close() { out.close(); logSumExp.close(); }
}
