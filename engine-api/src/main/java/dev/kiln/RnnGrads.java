package dev.kiln;

import java.util.List;

/** Gradients of an RNN: input, initial states (c0 null for a GRU) and the weights in {@link RnnParams}' order. */
public record RnnGrads(Tensor input, Tensor h0, Tensor c0, List<Tensor> weights) implements AutoCloseable {
    @Override public void close() { input.close(); h0.close(); if (c0 != null) c0.close(); weights.forEach(Tensor::close); }
}
