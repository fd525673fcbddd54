package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class RnnComposite {
    private RnnComposite() {}
    public static RnnResult forward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) { throw new KilnException("RnnComposite: pending"); }
    public static RnnGrads backward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward, Tensor gradOutput, Tensor gradHN, Tensor gradCN) { throw new KilnException("RnnComposite: pending"); }
}
