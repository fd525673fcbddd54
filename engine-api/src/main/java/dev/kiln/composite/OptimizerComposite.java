package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class OptimizerComposite {
    private OptimizerComposite() {}
    public static void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) { throw new KilnException("OptimizerComposite: pending"); }
    public static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) { throw new KilnException("OptimizerComposite: pending"); }
}
