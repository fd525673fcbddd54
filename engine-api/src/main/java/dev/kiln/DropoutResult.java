package dev.kiln;

/** Dropout's output and its mask, already scaled by 1/(1-p): the backward pass is {@code grad * mask}. */
public record DropoutResult(Tensor out, Tensor mask) implements AutoCloseable {
    @Override public void close() { out.close(); mask.close(); }
}
