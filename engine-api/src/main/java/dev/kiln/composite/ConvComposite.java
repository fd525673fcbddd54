package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class ConvComposite {
    private ConvComposite() {}
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) { throw new KilnException("ConvComposite: pending"); }
    public static Tensor forward(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { throw new KilnException("ConvComposite: pending"); }
    public static Tensor backwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) { throw new KilnException("ConvComposite: pending"); }
    public static Tensor backwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) { throw new KilnException("ConvComposite: pending"); }
}
