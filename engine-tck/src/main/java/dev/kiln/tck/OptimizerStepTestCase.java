package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.KilnException;
import dev.kiln.Tensor;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.CosineAnnealingLR;
import dev.kiln.optim.GradClip;
import dev.kiln.optim.LinearWarmup;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSProp;
import dev.kiln.optim.SGD;
import dev.kiln.optim.StepLR;
import dev.kiln.tck.ref.OptimizerReference;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * dev.kiln.optim against a float64 re-implementation of torch.optim: several steps with fresh random
 * gradients (delivered through backward), parameters compared after every step; schedules against
 * their closed forms; gradient clipping; optimizer state round trips.
 */
public abstract class OptimizerStepTestCase extends KilnTestCase {
    private static final int STEPS = 4;

    /** A host re-implementation of one optimizer: state per parameter, one step at a time. */
    private interface HostStep {
        void step(int param, double[] value, double[] grad, int step, double lr);
    }

    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("SGD plain", (Function<List<Tensor>, Optimizer>) p -> new SGD(p, 0.1), sgd(0, 0, 0, false)),
                Arguments.of("SGD momentum dampening decay", (Function<List<Tensor>, Optimizer>) p -> new SGD(p, 0.05, 0.9, 0.3, 0.01, false), sgd(0.9, 0.3, 0.01, false)),
                Arguments.of("SGD Nesterov", (Function<List<Tensor>, Optimizer>) p -> new SGD(p, 0.05, 0.8, 0, 0.02, true), sgd(0.8, 0, 0.02, true)),
                Arguments.of("Adam", (Function<List<Tensor>, Optimizer>) p -> new Adam(p, 0.01, 0.9, 0.99, 1e-8, 0.05), adam(0.9, 0.99, 1e-8, 0.05, false)),
                Arguments.of("AdamW", (Function<List<Tensor>, Optimizer>) p -> new AdamW(p, 0.01, 0.8, 0.999, 1e-6, 0.1), adam(0.8, 0.999, 1e-6, 0.1, true)),
                Arguments.of("RMSProp plain", (Function<List<Tensor>, Optimizer>) p -> new RMSProp(p, 0.01), rms(0.99, 1e-8, 0, 0, false)),
                Arguments.of("RMSProp centered momentum decay", (Function<List<Tensor>, Optimizer>) p -> new RMSProp(p, 0.01, 0.9, 1e-6, 0.01, 0.5, true),
                        rms(0.9, 1e-6, 0.01, 0.5, true)));
    }

    private static final int PARAMS = 2;

    private static HostStep sgd(double momentum, double dampening, double wd, boolean nesterov) {
        double[][] buf = new double[PARAMS][];
        return (i, v, g, step, lr) -> {
            if (buf[i] == null) buf[i] = new double[v.length];
            OptimizerReference.sgd(v, g, buf[i], step, lr, momentum, dampening, wd, nesterov);
        };
    }

    private static HostStep adam(double b1, double b2, double eps, double wd, boolean decoupled) {
        double[][] m = new double[PARAMS][], s = new double[PARAMS][];
        return (i, v, g, step, lr) -> {
            if (m[i] == null) { m[i] = new double[v.length]; s[i] = new double[v.length]; }
            OptimizerReference.adam(v, g, m[i], s[i], step, lr, b1, b2, eps, wd, decoupled);
        };
    }

    private static HostStep rms(double alpha, double eps, double wd, double momentum, boolean centered) {
        double[][] sq = new double[PARAMS][], ga = new double[PARAMS][], buf = new double[PARAMS][];
        return (i, v, g, step, lr) -> {
            if (sq[i] == null) { sq[i] = new double[v.length]; ga[i] = new double[v.length]; buf[i] = new double[v.length]; }
            OptimizerReference.rmsprop(v, g, sq[i], ga[i], buf[i], lr, alpha, eps, wd, momentum, centered);
        };
    }

    /** Parameters [7] and [3, 5]; each step: zeroGrad, a fresh gradient through backward, step, compare. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stepsFollowTorchOptim(String name, Function<List<Tensor>, Optimizer> make, HostStep ref) {
        HostTensor[] host = {randn(7), randn(3, 5)};
        List<Tensor> params = List.of(upload(host[0]).requiresGrad(true), upload(host[1]).requiresGrad(true));
        Optimizer opt = track(make.apply(params));
        for (int step = 1; step <= STEPS; step++) {
            opt.zeroGrad();
            for (int i = 0; i < PARAMS; i++) {
                HostTensor g = randn(host[i].shape);
                params.get(i).backward(upload(g));
                ref.step(i, host[i].data, g.data, step, opt.lr());
            }
            opt.step();
            for (int i = 0; i < PARAMS; i++) assertClose(name + " param " + i + " after step " + step, host[i], params.get(i));
        }
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        HostTensor h = randn(4);
        Tensor p = upload(h).requiresGrad(true);
        Optimizer opt = track(new Adam(List.of(p), 0.1));
        opt.step();
        assertClose("untouched parameter", h, p);
        assertEquals(0, opt.step(0));
    }

    @Test
    void stateDictRoundTripContinuesIdentically() {
        HostTensor h = randn(6);
        HostTensor[] grads = {randn(6), randn(6), randn(6)};
        Tensor a = upload(h).requiresGrad(true), b = upload(h).requiresGrad(true);
        Optimizer first = track(new Adam(List.of(a), 0.05)), resumed;
        for (int s = 0; s < 2; s++) {
            a.zeroGrad();
            a.backward(upload(grads[s]));
            first.step();
        }
        Map<String, Tensor> state = first.stateDict();
        state.values().forEach(this::track);
        assertEquals(java.util.Set.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "param_groups.0.lr"), state.keySet());
        b.zeroGrad();
        try (Tensor copy = a.detach(); Tensor moved = copy.copy()) {
            try (var g = dev.kiln.autograd.Autograd.noGrad()) {
                b.assign(moved);
            }
        }
        resumed = track(new Adam(List.of(b), 0.05));
        resumed.loadStateDict(state);
        a.zeroGrad();
        a.backward(upload(grads[2]));
        first.step();
        b.backward(upload(grads[2]));
        resumed.step();
        assertClose("resumed parameter", HostTensor.of(a), b);
        assertEquals(3, resumed.step(0));
    }

    @Test
    void schedulesFollowTheirClosedForms() {
        Tensor p = upload(randn(2)).requiresGrad(true);
        Optimizer opt = track(new SGD(List.of(p), 0.5));
        LrSchedule stepLr = new StepLR(opt, 3, 0.1);
        for (int t = 0; t <= 7; t++) {
            assertEquals(0.5 * Math.pow(0.1, t / 3), opt.lr(), 1e-15, "StepLR at " + t);
            stepLr.step();
        }
        Optimizer opt2 = track(new SGD(List.of(p), 0.2));
        LrSchedule cosine = new CosineAnnealingLR(opt2, 5, 0.01);
        for (int t = 0; t <= 5; t++) {
            assertEquals(0.01 + (0.2 - 0.01) * (1 + Math.cos(Math.PI * t / 5)) / 2, opt2.lr(), 1e-15, "cosine at " + t);
            cosine.step();
        }
        Optimizer opt3 = track(new SGD(List.of(p), 1.0));
        LrSchedule warm = new LinearWarmup(opt3, 4, 0.25, new CosineAnnealingLR(opt3, 6, 0));
        double[] expected = {0.25, 0.4375, 0.625, 0.8125, 1.0, (1 + Math.cos(Math.PI / 6)) / 2, (1 + Math.cos(2 * Math.PI / 6)) / 2};
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], opt3.lr(), 1e-12, "warm-up then cosine at " + t);
            warm.step();
        }
    }

    @Test
    void clipGradNormScalesToTheGlobalNorm() {
        HostTensor g1 = randn(5), g2 = randn(2, 3);
        Tensor a = upload(randn(5)).requiresGrad(true), b = upload(randn(2, 3)).requiresGrad(true), none = upload(randn(3)).requiresGrad(true);
        a.backward(upload(g1));
        b.backward(upload(g2));
        double total = 0;
        for (double v : g1.data) total += v * v;
        for (double v : g2.data) total += v * v;
        total = Math.sqrt(total);
        double norm = GradClip.clipGradNorm(List.of(a, b, none), 0.5);
        assertEquals(total, norm, 1e-5 * total, "the norm before clipping");
        double c = 0.5 / (total + 1e-6);
        assertClose("clipped a", g1.map(v -> v * c), a.grad());
        assertClose("clipped b", g2.map(v -> v * c), b.grad());
        assertNull(none.grad());
        double again = GradClip.clipGradNorm(List.of(a, b), 10);
        assertEquals(0.5, again, 1e-5, "below the limit nothing changes");
        assertClose("unchanged a", g1.map(v -> v * c), a.grad());
    }

    @Test
    void badHyperParametersAreRejected() {
        Tensor p = upload(randn(2)).requiresGrad(true);
        Tensor constant = upload(randn(2));
        assertThrows(KilnException.class, () -> new SGD(List.of(p), -1));
        assertThrows(KilnException.class, () -> new SGD(List.of(p), 0.1, 0, 0, 0, true));
        assertThrows(KilnException.class, () -> new Adam(List.of(p), 0.1, 1.0, 0.9, 1e-8, 0));
        assertThrows(KilnException.class, () -> new SGD(List.of(constant), 0.1));
        assertThrows(KilnException.class, () -> new StepLR(track(new SGD(List.of(p), 0.1)), 0, 0.5));
    }
}
