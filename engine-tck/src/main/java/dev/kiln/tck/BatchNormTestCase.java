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

/**
 * Batch norm in training (batch statistics, running statistics updated with the unbiased variance)
 * and inference, and its backward pass; N = 1, spatial 1, rank 2 to 4, with and without affine and
 * running statistics.
 */
public abstract class BatchNormTestCase extends KilnTestCase {
    private static final double EPS = 1e-5, MOMENTUM = 0.1;

    static Stream<Arguments> cases() {
        int[][] shapes = {{4, 3}, {1, 3, 5}, {3, 7, 1, 1}, {1, 2, 3, 3}, {2, 3, 4, 5}, {2, 1, 3, 1}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) {
            out.add(Arguments.of(s, true, true));
            out.add(Arguments.of(s, false, false));
        }
        out.add(Arguments.of(new int[] {2, 3, 2, 2}, true, false));
        out.add(Arguments.of(new int[] {2, 3, 2, 2}, false, true));
        return out.stream();
    }

    private static String name(String op, int[] shape, boolean affine, boolean running) {
        return op + " " + Arrays.toString(shape) + (affine ? " affine" : "") + (running ? " running" : "");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void trainingMatchesReferenceAndUpdatesRunningStats(int[] shape, boolean affine, boolean running) {
        int c = shape[1];
        HostTensor x = randn(shape).map(v -> 1.5 * v - 0.25);
        HostTensor w = affine ? randn(c) : null, b = affine ? randn(c) : null;
        HostTensor rm = randn(c), rv = HostTensor.uniform(rnd, 0.5, 2, c);
        Tensor rmt = running ? upload(rm) : null, rvt = running ? upload(rv) : null;
        NormResult r = track(Functional.batchNormTraining(upload(x), affine ? upload(w) : null, affine ? upload(b) : null,
                rmt, rvt, MOMENTUM, EPS));
        NormReference.BatchStats ref = NormReference.batchNormTraining(x, affine ? w.data : null, affine ? b.data : null, EPS);
        String what = name("batchNormTraining", shape, affine, running);
        assertClose(what + " out", ref.out(), r.out());
        HostTensor absMean = new HostTensor(NormReference.batchNormTraining(x.map(Math::abs), null, null, EPS).mean(), c);
        assertCloseToTermScale(what + " mean", new HostTensor(ref.mean(), c), absMean, r.mean());
        assertClose(what + " rstd", new HostTensor(ref.rstd(), c), r.rstd());
        if (running) {
            int count = x.numel() / c;
            double[] em = new double[c], ev = new double[c];
            for (int i = 0; i < c; i++) {
                em[i] = (1 - MOMENTUM) * rm.data[i] + MOMENTUM * ref.mean()[i];
                ev[i] = (1 - MOMENTUM) * rv.data[i] + MOMENTUM * ref.var()[i] * count / (count - 1);
            }
            assertClose(what + " running mean", new HostTensor(em, c), rmt);
            assertClose(what + " running var (unbiased)", new HostTensor(ev, c), rvt);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void inferenceUsesRunningStats(int[] shape, boolean affine, boolean ignored) {
        int c = shape[1];
        HostTensor x = randn(shape), rm = randn(c), rv = HostTensor.uniform(rnd, 0.1, 3, c);
        HostTensor w = affine ? randn(c) : null, b = affine ? randn(c) : null;
        Tensor out = track(Functional.batchNormInference(upload(x), affine ? upload(w) : null, affine ? upload(b) : null,
                upload(rm), upload(rv), EPS));
        assertClose(name("batchNormInference", shape, affine, true),
                NormReference.batchNormWith(x, rm.data, rv.data, affine ? w.data : null, affine ? b.data : null, EPS), out);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(int[] shape, boolean affine, boolean running) {
        int c = shape[1];
        HostTensor x = randn(shape), g = randn(shape);
        HostTensor w = affine ? randn(c) : null, b = affine ? randn(c) : null;
        Tensor xt = upload(x), wt = affine ? upload(w) : null, bt = affine ? upload(b) : null;
        Tensor rmt = running ? upload(randn(c)) : null, rvt = running ? upload(HostTensor.uniform(rnd, 0.5, 2, c)) : null;
        NormResult fwd = track(Functional.batchNormTraining(xt, wt, bt, rmt, rvt, MOMENTUM, EPS));
        NormGrads grads = track(Functional.batchNormBackward(upload(g), xt, fwd, wt, bt));
        double[] wd = affine ? w.data : null, bd = affine ? b.data : null;
        String what = name("batchNormBackward", shape, affine, running);
        double[] dx = CentralDifference.gradient(v -> NormReference.batchNormTraining(new HostTensor(v, shape), wd, bd, EPS).out().data,
                x.data, g.data);
        HostTensor[] scale = gradientTermScale(x, g, wd);
        assertCloseToTermScale(what + " input", new HostTensor(dx, shape), scale[0], grads.input());
        if (!affine) {
            assertNull(grads.weight(), what + ": no weight, no weight gradient");
            assertNull(grads.bias(), what + ": no bias, no bias gradient");
            return;
        }
        double[] dw = CentralDifference.gradient(v -> NormReference.batchNormTraining(x, v, bd, EPS).out().data, w.data, g.data);
        double[] db = CentralDifference.gradient(v -> NormReference.batchNormTraining(x, wd, v, EPS).out().data, b.data, g.data);
        assertCloseToTermScale(what + " weight", new HostTensor(dw, c), scale[1], grads.weight());
        assertCloseToTermScale(what + " bias", new HostTensor(db, c), scale[2], grads.bias());
    }

    /**
     * The backward formulas over absolute values: dx = w * rstd * (g - mean(g) - xhat * mean(g xhat))
     * sums to zero over each channel, and dw = sum(g xhat), db = sum(g) cancel too, so with few values
     * per channel float32 is accurate relative to these terms, not to the results.
     */
    private static HostTensor[] gradientTermScale(HostTensor x, HostTensor g, double[] w) {
        int c = x.shape[1], spatial = x.numel() / (x.shape[0] * c), count = x.numel() / c;
        NormReference.BatchStats plain = NormReference.batchNormTraining(x, null, null, EPS);
        double[] meanAbsG = new double[c], meanAbsGx = new double[c];
        HostTensor dw = HostTensor.zeros(c), db = HostTensor.zeros(c), dx = HostTensor.zeros(x.shape);
        for (int i = 0; i < x.numel(); i++) {
            int ch = (i / spatial) % c;
            double xhat = plain.out().data[i];
            meanAbsG[ch] += Math.abs(g.data[i]) / count;
            meanAbsGx[ch] += Math.abs(g.data[i] * xhat) / count;
            dw.data[ch] += Math.abs(g.data[i] * xhat);
            db.data[ch] += Math.abs(g.data[i]);
        }
        for (int i = 0; i < x.numel(); i++) {
            int ch = (i / spatial) % c;
            double wc = w == null ? 1 : Math.abs(w[ch]);
            dx.data[i] = wc * plain.rstd()[ch] * (Math.abs(g.data[i]) + meanAbsG[ch] + Math.abs(plain.out().data[i]) * meanAbsGx[ch]);
        }
        return new HostTensor[] {dx, dw, db};
    }

    /** Inference needs no batch statistics, so N = 1 with spatial 1 (or none) is fine there. */
    @Test
    void inferenceOnOneValuePerChannel() {
        for (int[] shape : new int[][] {{1, 5, 1, 1}, {1, 3}}) {
            int c = shape[1];
            HostTensor x = randn(shape), rm = randn(c), rv = HostTensor.uniform(rnd, 0.1, 3, c), w = randn(c), b = randn(c);
            Tensor out = track(Functional.batchNormInference(upload(x), upload(w), upload(b), upload(rm), upload(rv), EPS));
            assertClose(name("batchNormInference", shape, true, true), NormReference.batchNormWith(x, rm.data, rv.data, w.data, b.data, EPS), out);
        }
    }

    /** One value per channel has no batch variance: PyTorch refuses it, so does Kiln, leaving the running stats alone. */
    @Test
    void trainingWithOneValuePerChannelIsRejected() {
        Tensor x = upload(randn(1, 3, 1, 1));
        HostTensor rm = randn(3);
        Tensor rmt = upload(rm), rvt = upload(HostTensor.uniform(rnd, 0.5, 2, 3));
        ShapeException e = assertThrows(ShapeException.class, () -> Functional.batchNormTraining(x, null, null, rmt, rvt, MOMENTUM, EPS));
        assertTrue(e.getMessage().contains("batchNorm") && e.getMessage().contains("[1, 3, 1, 1]"), e.getMessage());
        assertClose("running mean untouched", rm, rmt);
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor x = upload(randn(2, 3, 4));
        Tensor wrong = upload(randn(4)), right = upload(randn(3));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.batchNormTraining(x, wrong, null, null, null, MOMENTUM, EPS))
                .getMessage().contains("batchNorm"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.batchNormInference(x, right, right, null, null, EPS))
                .getMessage().contains("batchNorm"));
        Tensor flat = upload(randn(5));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.batchNormTraining(flat, null, null, null, null, MOMENTUM, EPS))
                .getMessage().contains("batchNorm"));
        NormResult fwd = track(Functional.batchNormTraining(x, right, right, null, null, MOMENTUM, EPS));
        Tensor g = upload(randn(2, 3, 5));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.batchNormBackward(g, x, fwd, right, right))
                .getMessage().contains("batchNormBackward"));
    }
}
