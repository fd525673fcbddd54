package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class AttentionComposite {
    private AttentionComposite() {}
    public static AttentionResult forward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) { throw new KilnException("AttentionComposite: pending"); }
    public static AttentionGrads backward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, AttentionResult forward) { throw new KilnException("AttentionComposite: pending"); }
}
