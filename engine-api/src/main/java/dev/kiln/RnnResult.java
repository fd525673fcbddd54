package dev.kiln;

/**
 * An RNN's output [T, N, directions * hidden], final states [layers * directions, N, hidden] (cN is
 * null for a GRU), and {@code reserve}: whatever the backend saved for the backward pass, in its own
 * layout (cuDNN's reserve space, or the composite's gate activations). Only the same backend reads it.
 */
public record RnnResult(Tensor output, Tensor hN, Tensor cN, Tensor reserve) implements AutoCloseable {
    @Override public void close() { output.close(); hN.close(); if (cN != null) cN.close(); reserve.close(); }
}
