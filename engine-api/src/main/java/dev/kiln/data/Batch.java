package dev.kiln.data;

import dev.kiln.Tensor;

/** One batch on the device. Closing it frees both tensors. */
public record Batch(Tensor input, Tensor target, int size) implements AutoCloseable {
    @Override
    public void close() {
        input.close();
        target.close();
    }
}
