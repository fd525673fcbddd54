package dev.kiln.composite;

import dev.kiln.*;
import java.util.List;

/** Composite default (to be implemented). */
public final class NormComposite {
    private NormComposite() {}
    public static NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) { throw new KilnException("NormComposite: pending"); }
    public static NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias, int normalizedDims) { throw new KilnException("NormComposite: pending"); }
    public static NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double momentum, double eps) { throw new KilnException("NormComposite: pending"); }
    public static Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) { throw new KilnException("NormComposite: pending"); }
    public static NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) { throw new KilnException("NormComposite: pending"); }
    public static Tensor lrn(Tensor x, LrnParams p) { throw new KilnException("NormComposite: pending"); }
    public static Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) { throw new KilnException("NormComposite: pending"); }
    public static DropoutResult dropout(Tensor x, double p, long seed, long offset) { throw new KilnException("NormComposite: pending"); }
}
