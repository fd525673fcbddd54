package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class PoolComposite {
    private PoolComposite() {}
    public static Tensor maxForward(Tensor x, Pool2dParams p) { throw new KilnException("PoolComposite: pending"); }
    public static Tensor maxBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) { throw new KilnException("PoolComposite: pending"); }
    public static Tensor avgForward(Tensor x, Pool2dParams p) { throw new KilnException("PoolComposite: pending"); }
    public static Tensor avgBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) { throw new KilnException("PoolComposite: pending"); }
    public static Tensor adaptiveAvgForward(Tensor x, int outH, int outW) { throw new KilnException("PoolComposite: pending"); }
    public static Tensor adaptiveAvgBackward(Tensor gradOut, Shape inputShape) { throw new KilnException("PoolComposite: pending"); }
}
