package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class SoftmaxComposite {
    private SoftmaxComposite() {}
    public static Tensor softmax(Tensor x, int axis) { throw new KilnException("SoftmaxComposite: pending"); }
    public static Tensor logSoftmax(Tensor x, int axis) { throw new KilnException("SoftmaxComposite: pending"); }
    public static Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) { throw new KilnException("SoftmaxComposite: pending"); }
    public static Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) { throw new KilnException("SoftmaxComposite: pending"); }
}
