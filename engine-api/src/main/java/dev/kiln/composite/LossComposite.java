package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class LossComposite {
    private LossComposite() {}
    public static Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) { throw new KilnException("LossComposite: pending"); }
    public static Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) { throw new KilnException("LossComposite: pending"); }
}
