package dev.kiln.nn;

import dev.kiln.DropoutResult;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Tensor;

/** {@code torch.nn.Dropout}: active in training mode, the identity in evaluation mode. */
public final class Dropout extends Module {
    private final double p;
    private final Generator generator;

    public Dropout(double p, Generator generator) {
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) return Layers.alias(x);
        DropoutResult r = Functional.dropout(x, p, generator);
        r.mask().close();
        return r.out();
    }
}
