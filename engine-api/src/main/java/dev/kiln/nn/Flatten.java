package dev.kiln.nn;

import dev.kiln.Tensor;

/** {@code torch.nn.Flatten}: flattens axes start..end (default 1..-1). */
public final class Flatten extends Module {
    private final int start, end;

    public Flatten() { this(1, -1); }

    public Flatten(int start, int end) {
        this.start = start;
        this.end = end;
    }

    @Override
    public Tensor forward(Tensor x) { return x.flatten(start, end); }
}
