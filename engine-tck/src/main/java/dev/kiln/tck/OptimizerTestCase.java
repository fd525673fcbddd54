package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.AdamParams;
import dev.kiln.Functional;
import dev.kiln.KilnException;
import dev.kiln.SgdParams;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.OptimizerReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SGD (momentum, dampening, Nesterov, weight decay) and Adam/AdamW steps in place, over several
 * steps with a fresh gradient each, against a float64 re-implementation of torch.optim's rules.
 */
public abstract class OptimizerTestCase extends KilnTestCase {
    private static final int STEPS = 4;

    static Stream<Arguments> sgdCases() {
        return Stream.of(
                Arguments.of(new SgdParams(0.1, 0, 0, 0, false)),
                Arguments.of(new SgdParams(0.05, 0, 0, 0.01, false)),
                Arguments.of(new SgdParams(0.1, 0.9, 0, 0, false)),
                Arguments.of(new SgdParams(0.1, 0.9, 0.3, 0.001, false)),
                Arguments.of(new SgdParams(0.1, 0.9, 0, 0, true)),
                Arguments.of(new SgdParams(0.02, 0.5, 0, 0.05, true)));
    }

    @ParameterizedTest
    @MethodSource("sgdCases")
    void sgdMatchesTorchRules(SgdParams p) {
        int[] shape = {3, 7};
        HostTensor param = randn(shape);
        double[] expected = param.data.clone(), buffer = new double[param.numel()];
        Tensor pt = upload(param);
        Tensor bt = p.momentum() == 0 ? null : upload(randn(shape));  // stale contents: step 1 must overwrite, not blend
        for (int step = 1; step <= STEPS; step++) {
            HostTensor grad = randn(shape);
            Functional.sgdStep(pt, upload(grad), bt, step, p);
            OptimizerReference.sgd(expected, grad.data, buffer, step, p.lr(), p.momentum(), p.dampening(), p.weightDecay(), p.nesterov());
            assertClose("sgd " + p + " param after step " + step, new HostTensor(expected.clone(), shape), pt);
            if (bt != null) assertClose("sgd " + p + " momentum buffer after step " + step, new HostTensor(buffer.clone(), shape), bt);
        }
    }

    static Stream<Arguments> adamCases() {
        return Stream.of(
                Arguments.of(new AdamParams(1e-2, 0.9, 0.999, 1e-8, 0, false)),
                Arguments.of(new AdamParams(1e-2, 0.9, 0.999, 1e-8, 0.1, false)),
                Arguments.of(new AdamParams(1e-2, 0.9, 0.999, 1e-8, 0.1, true)),
                Arguments.of(new AdamParams(3e-3, 0.8, 0.95, 1e-6, 0.01, true)));
    }

    @ParameterizedTest
    @MethodSource("adamCases")
    void adamMatchesTorchRules(AdamParams p) {
        int[] shape = {5, 1, 3};
        HostTensor param = randn(shape);
        double[] expected = param.data.clone(), m = new double[param.numel()], v = new double[param.numel()];
        Tensor pt = upload(param), mt = track(device().zeros(shape)), vt = track(device().zeros(shape));
        for (int step = 1; step <= STEPS; step++) {
            HostTensor grad = randn(shape);
            Functional.adamStep(pt, upload(grad), mt, vt, step, p);
            OptimizerReference.adam(expected, grad.data, m, v, step, p.lr(), p.beta1(), p.beta2(), p.eps(), p.weightDecay(), p.decoupled());
            String what = (p.decoupled() ? "adamW " : "adam ") + p;
            assertClose(what + " param after step " + step, new HostTensor(expected.clone(), shape), pt);
            assertClose(what + " first moment after step " + step, new HostTensor(m.clone(), shape), mt);
            assertClose(what + " second moment after step " + step, new HostTensor(v.clone(), shape), vt);
        }
    }

    /** A zero gradient leaves Adam's param alone (0 / (0 + eps)), and the state stays zero. */
    @Test
    void adamWithZeroGradientKeepsParam() {
        HostTensor param = randn(7);
        Tensor pt = upload(param), zero = track(device().zeros(7)), m = track(device().zeros(7)), v = track(device().zeros(7));
        Functional.adamStep(pt, zero, m, v, 1, new AdamParams(0.1, 0.9, 0.999, 1e-8, 0, false));
        assertClose("param after a zero-gradient Adam step", param, pt);
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor p = upload(randn(2, 3)), g = upload(randn(2, 3)), wrong = upload(randn(3, 2));
        Tensor m = track(device().zeros(2, 3)), v = track(device().zeros(2, 3));
        AdamParams adam = new AdamParams(1e-3, 0.9, 0.999, 1e-8, 0, false);
        assertTrue(assertThrows(ShapeException.class, () -> Functional.adamStep(p, g, m, v, 0, adam)).getMessage().contains("adamStep"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.adamStep(p, wrong, m, v, 1, adam)).getMessage().contains("adamStep"));
        SgdParams momentum = new SgdParams(0.1, 0.9, 0, 0, false);
        assertTrue(assertThrows(ShapeException.class, () -> Functional.sgdStep(p, g, null, 1, momentum)).getMessage().contains("sgdStep"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.sgdStep(p, wrong, null, 1, new SgdParams(0.1, 0, 0, 0, false)))
                .getMessage().contains("sgdStep"));
        assertTrue(assertThrows(KilnException.class, () -> new SgdParams(0.1, 0.9, 0.5, 0, true)).getMessage().contains("Nesterov"));
    }
}
