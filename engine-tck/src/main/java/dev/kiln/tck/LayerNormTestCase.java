package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Functional;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.CentralDifference;
import dev.kiln.tck.ref.NormReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Layer norm over the trailing axes, with and without weight and bias: output, saved statistics, and all three gradients. */
public abstract class LayerNormTestCase extends KilnTestCase {
    private static final double EPS = 1e-5;

    static Stream<Arguments> cases() {
        Object[][] shapes = {{new int[] {7}, 1}, {new int[] {1, 1}, 1}, {new int[] {3, 5}, 1}, {new int[] {3, 5}, 2},
                {new int[] {2, 3, 4}, 1}, {new int[] {2, 3, 4}, 2}, {new int[] {2, 1, 3, 5}, 3}, {new int[] {1, 2, 1, 9}, 1}};
        List<Arguments> out = new ArrayList<>();
        for (Object[] s : shapes) for (boolean affine : new boolean[] {true, false}) out.add(Arguments.of(s[0], s[1], affine));
        return out.stream();
    }

    private static int[] trailing(int[] shape, int k) { return Arrays.copyOfRange(shape, shape.length - k, shape.length); }

    private static int[] statShape(int[] shape, int k) {
        int[] s = shape.clone();
        for (int i = shape.length - k; i < shape.length; i++) s[i] = 1;
        return s;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(int[] shape, int k, boolean affine) {
        HostTensor x = randn(shape).map(v -> 2 * v + 0.5);
        HostTensor w = affine ? randn(trailing(shape, k)) : null, b = affine ? randn(trailing(shape, k)) : null;
        NormResult r = track(Functional.layerNorm(upload(x), k, affine ? upload(w) : null, affine ? upload(b) : null, EPS));
        NormReference.Normalized ref = NormReference.layerNorm(x, k, affine ? w.data : null, affine ? b.data : null, EPS);
        String what = "layerNorm " + Arrays.toString(shape) + " over " + k + (affine ? " affine" : "");
        assertClose(what + " out", ref.out(), r.out());
        HostTensor absMean = new HostTensor(NormReference.layerNorm(x.map(Math::abs), k, null, null, EPS).mean(), statShape(shape, k));
        assertCloseToTermScale(what + " mean", new HostTensor(ref.mean(), statShape(shape, k)), absMean, r.mean());
        assertClose(what + " rstd", new HostTensor(ref.rstd(), statShape(shape, k)), r.rstd());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(int[] shape, int k, boolean affine) {
        HostTensor x = randn(shape), g = randn(shape);
        int[] ws = trailing(shape, k);
        HostTensor w = affine ? randn(ws) : null, b = affine ? randn(ws) : null;
        Tensor xt = upload(x), wt = affine ? upload(w) : null, bt = affine ? upload(b) : null;
        NormResult fwd = track(Functional.layerNorm(xt, k, wt, bt, EPS));
        NormGrads grads = track(Functional.layerNormBackward(upload(g), xt, fwd, wt, bt, k));
        double[] wd = affine ? w.data : null, bd = affine ? b.data : null;
        String what = "layerNormBackward " + Arrays.toString(shape) + " over " + k + (affine ? " affine" : "");
        double[] dx = CentralDifference.gradient(v -> NormReference.layerNorm(new HostTensor(v, shape), k, wd, bd, EPS).out().data, x.data, g.data);
        HostTensor[] scale = gradientTermScale(x, g, k, wd, ws);
        assertCloseToTermScale(what + " input", new HostTensor(dx, shape), scale[0], grads.input());
        if (!affine) {
            assertNull(grads.weight(), what + ": no weight, no weight gradient");
            assertNull(grads.bias(), what + ": no bias, no bias gradient");
            return;
        }
        double[] dw = CentralDifference.gradient(v -> NormReference.layerNorm(x, k, v, bd, EPS).out().data, w.data, g.data);
        double[] db = CentralDifference.gradient(v -> NormReference.layerNorm(x, k, wd, v, EPS).out().data, b.data, g.data);
        assertCloseToTermScale(what + " weight", new HostTensor(dw, ws), scale[1], grads.weight());
        assertCloseToTermScale(what + " bias", new HostTensor(db, ws), scale[2], grads.bias());
    }

    /**
     * The backward formulas over absolute values: dx = rstd * (w g - mean(w g) - xhat * mean(w g xhat))
     * sums to zero over each normalized group, and dw, db are sums that may cancel, so float32 is
     * accurate relative to these terms, not to the results.
     */
    private static HostTensor[] gradientTermScale(HostTensor x, HostTensor g, int k, double[] w, int[] ws) {
        NormReference.Normalized plain = NormReference.layerNorm(x, k, null, null, EPS);
        int group = 1;
        for (int d : ws) group *= d;
        HostTensor dx = HostTensor.zeros(x.shape), dw = HostTensor.zeros(ws), db = HostTensor.zeros(ws);
        for (int r = 0; r < x.numel() / group; r++) {
            double meanWg = 0, meanWgx = 0;
            for (int j = 0; j < group; j++) {
                int i = r * group + j;
                double wj = w == null ? 1 : Math.abs(w[j]);
                meanWg += wj * Math.abs(g.data[i]) / group;
                meanWgx += wj * Math.abs(g.data[i] * plain.out().data[i]) / group;
                dw.data[j] += Math.abs(g.data[i] * plain.out().data[i]);
                db.data[j] += Math.abs(g.data[i]);
            }
            for (int j = 0; j < group; j++) {
                int i = r * group + j;
                double wj = w == null ? 1 : Math.abs(w[j]);
                dx.data[i] = plain.rstd()[r] * (wj * Math.abs(g.data[i]) + meanWg + Math.abs(plain.out().data[i]) * meanWgx);
            }
        }
        return new HostTensor[] {dx, dw, db};
    }

    @Test
    void constantRowsNormalizeToBiasThroughEps() {
        HostTensor x = new HostTensor(new double[] {3, 3, 3, 3, -1, -1, -1, -1}, 2, 4);
        HostTensor b = randn(4);
        NormResult r = track(Functional.layerNorm(upload(x), 1, null, upload(b), EPS));
        assertClose("layerNorm of constant rows", NormReference.layerNorm(x, 1, null, b.data, EPS).out(), r.out());
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor x = upload(randn(2, 3, 4));
        Tensor w = upload(randn(3, 4)), wrong = upload(randn(4, 3));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.layerNorm(x, 2, wrong, null, EPS)).getMessage().contains("layerNorm"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.layerNorm(x, 4, null, null, EPS)).getMessage().contains("layerNorm"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.layerNorm(x, 0, null, null, EPS)).getMessage().contains("layerNorm"));
        NormResult fwd = track(Functional.layerNorm(x, 2, w, null, EPS));
        Tensor g = upload(randn(2, 3, 5));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.layerNormBackward(g, x, fwd, w, null, 2))
                .getMessage().contains("layerNormBackward"));
    }
}
