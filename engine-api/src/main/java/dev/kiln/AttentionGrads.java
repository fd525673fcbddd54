package dev.kiln;

/** Gradients of attention with respect to q, k and v. */
public record AttentionGrads(Tensor q, Tensor k, Tensor v) implements AutoCloseable {
    @Override public void close() { q.close(); k.close(); v.close(); }
}
