package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Functional;
import dev.kiln.KilnException;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnParams.Mode;
import dev.kiln.RnnResult;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.NumericGradient;
import dev.kiln.tck.ref.RnnReference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LSTM and GRU over a sequence ({@link Functional#rnn}, {@link Functional#rnnBackward}): 1 and 2
 * layers, one and two directions, T = 1 and 5, N = 1 and 3, odd sizes; forward against a float64
 * reference, every gradient (input, h0, c0, each weight) against central differences of it with the
 * loss {@code L = sum(w_out * output) + sum(w_h * hN) + sum(w_c * cN)}.
 */
public abstract class RnnTestCase extends KilnTestCase {

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        int[][] sequenceAndBatch = {{1, 1}, {5, 3}, {1, 3}, {5, 1}};
        for (Mode mode : Mode.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                for (boolean bidirectional : new boolean[] {false, true}) {
                    for (int[] tn : sequenceAndBatch) out.add(Arguments.of(mode, layers, bidirectional, tn[0], tn[1]));
                }
            }
        }
        return out.stream();
    }

    /** Host inputs of one case and their device copies. */
    private final class Problem {
        final RnnParams p;
        final HostTensor x, h0, c0;
        final List<HostTensor> weights = new ArrayList<>();
        final boolean lstm;

        Problem(Mode mode, int layers, boolean bidirectional, int steps, int batch, int inputSize, int hidden) {
            p = new RnnParams(mode, inputSize, hidden, layers, bidirectional);
            lstm = mode == Mode.LSTM;
            x = randn(steps, batch, inputSize);
            h0 = randn(layers * p.directions(), batch, hidden);
            c0 = lstm ? randn(layers * p.directions(), batch, hidden) : null;
            int g = p.gates() * hidden;
            for (int l = 0; l < layers; l++) {
                for (int d = 0; d < p.directions(); d++) {
                    weights.add(randn(g, p.layerInput(l)).map(v -> (float) (0.5 * v)));
                    weights.add(randn(g, hidden).map(v -> (float) (0.5 * v)));
                    weights.add(randn(g).map(v -> (float) (0.5 * v)));
                    weights.add(randn(g).map(v -> (float) (0.5 * v)));
                }
            }
        }

        RnnReference.Result reference() {
            return RnnReference.forward(lstm, p.numLayers(), p.bidirectional(), x, h0, c0, weights);
        }

        List<Tensor> deviceWeights() { return weights.stream().map(RnnTestCase.this::upload).toList(); }

        String name() {
            return p.mode() + " layers=" + p.numLayers() + (p.bidirectional() ? " bidirectional" : "") + " T=" + x.shape[0] + " N=" + x.shape[1];
        }
    }

    private Tensor uploadOrNull(HostTensor h) { return h == null ? null : upload(h); }

    @ParameterizedTest
    @MethodSource("configurations")
    void forwardMatchesReference(Mode mode, int layers, boolean bidirectional, int steps, int batch) {
        Problem pr = new Problem(mode, layers, bidirectional, steps, batch, 4, 3);
        RnnResult r = track(Functional.rnn(pr.p, upload(pr.x), upload(pr.h0), uploadOrNull(pr.c0), pr.deviceWeights(), false));
        RnnReference.Result ref = pr.reference();
        assertClose(pr.name() + " output", ref.output(), r.output());
        assertClose(pr.name() + " hN", ref.hN(), r.hN());
        if (pr.lstm) assertClose(pr.name() + " cN", ref.cN(), r.cN());
        else assertNull(r.cN(), "a GRU has no cell state");
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void gradientsMatchFiniteDifferences(Mode mode, int layers, boolean bidirectional, int steps, int batch) {
        checkGradients(new Problem(mode, layers, bidirectional, steps, batch, 3, 3), true);
    }

    /** Without gradients into hN and cN (rnnBackward takes null for them). */
    @ParameterizedTest
    @MethodSource("modes")
    void gradientsWithoutFinalStateGradients(Mode mode) {
        checkGradients(new Problem(mode, 2, true, 4, 2, 3, 5), false);
    }

    /** Hidden size 1 and input size 1, the narrowest case. */
    @ParameterizedTest
    @MethodSource("modes")
    void gradientsOfWidthOne(Mode mode) {
        checkGradients(new Problem(mode, 1, true, 3, 2, 1, 1), true);
    }

    static Stream<Mode> modes() { return Stream.of(Mode.values()); }

    private void checkGradients(Problem pr, boolean finalStateGradients) {
        RnnReference.Result ref = pr.reference();
        HostTensor gOut = randn(ref.output().shape);
        HostTensor gH = finalStateGradients ? randn(ref.hN().shape) : null;
        HostTensor gC = finalStateGradients && pr.lstm ? randn(ref.cN().shape) : null;

        Tensor x = upload(pr.x), h0 = upload(pr.h0), c0 = uploadOrNull(pr.c0);
        List<Tensor> w = pr.deviceWeights();
        RnnResult fwd = track(Functional.rnn(pr.p, x, h0, c0, w, true));
        assertClose(pr.name() + " output (training)", ref.output(), fwd.output());
        RnnGrads grads = track(Functional.rnnBackward(pr.p, x, h0, c0, w, fwd, upload(gOut), uploadOrNull(gH), uploadOrNull(gC)));

        // L = <gOut, output> + <gH, hN> + <gC, cN>, as one weighted sum over the concatenated outputs
        double[] lossWeights = concat(gOut.data, gH == null ? new double[ref.hN().numel()] : gH.data,
                pr.lstm ? (gC == null ? new double[ref.cN().numel()] : gC.data) : new double[0]);
        Supplier<double[]> f = () -> {
            RnnReference.Result r = pr.reference();
            return concat(r.output().data, r.hN().data, pr.lstm ? r.cN().data : new double[0]);
        };
        assertGradient(pr.name() + " grad input", f, pr.x, lossWeights, grads.input());
        assertGradient(pr.name() + " grad h0", f, pr.h0, lossWeights, grads.h0());
        if (pr.lstm) assertGradient(pr.name() + " grad c0", f, pr.c0, lossWeights, grads.c0());
        else assertNull(grads.c0(), "a GRU has no cell-state gradient");
        assertEquals(pr.weights.size(), grads.weights().size(), "one gradient per weight");
        String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        for (int i = 0; i < pr.weights.size(); i++) {
            int slot = i / 4;
            String name = names[i % 4] + "_l" + slot / pr.p.directions() + (slot % pr.p.directions() == 1 ? "_reverse" : "");
            assertGradient(pr.name() + " grad " + name, f, pr.weights.get(i), lossWeights, grads.weights().get(i));
        }
    }

    private void assertGradient(String what, Supplier<double[]> f, HostTensor wrt, double[] lossWeights, Tensor actual) {
        assertClose(what, new HostTensor(NumericGradient.of(f, wrt.data, lossWeights), wrt.shape), actual);
    }

    private static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] p : parts) n += p.length;
        double[] out = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void inferenceKeepsNoReserveAndBackwardRefusesIt() {
        Problem pr = new Problem(Mode.LSTM, 1, false, 3, 2, 4, 3);
        Tensor x = upload(pr.x), h0 = upload(pr.h0), c0 = upload(pr.c0);
        List<Tensor> w = pr.deviceWeights();
        RnnResult fwd = track(Functional.rnn(pr.p, x, h0, c0, w, false));
        assertEquals(0, fwd.reserve().numel(), "inference reserve");
        Tensor g = upload(randn(3, 2, 3));
        KilnException e = assertThrows(KilnException.class, () -> Functional.rnnBackward(pr.p, x, h0, c0, w, fwd, g, null, null));
        assertTrue(e.getMessage().contains("rnnBackward"), e.getMessage());
    }

    @Test
    void trainingAndInferenceGiveTheSameOutput() {
        Problem pr = new Problem(Mode.GRU, 2, true, 4, 3, 5, 3);
        Tensor x = upload(pr.x), h0 = upload(pr.h0);
        List<Tensor> w = pr.deviceWeights();
        RnnResult train = track(Functional.rnn(pr.p, x, h0, null, w, true));
        RnnResult infer = track(Functional.rnn(pr.p, x, h0, null, w, false));
        assertExact("output", HostTensor.of(train.output()).data, infer.output());
        assertExact("hN", HostTensor.of(train.hN()).data, infer.hN());
    }

    // ---- argument checks ----

    private <E extends RuntimeException> void assertRejected(Class<E> type, String op, String detail, Runnable call) {
        E e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(op) && e.getMessage().contains(detail), "message should name " + op + " and " + detail + ": " + e.getMessage());
    }

    @Test
    void wrongInputWidthIsRejected() {
        Problem pr = new Problem(Mode.LSTM, 1, false, 2, 2, 4, 3);
        Tensor x = upload(randn(2, 2, 5));
        assertRejected(ShapeException.class, "rnn", "[2, 2, 5]",
                () -> Functional.rnn(pr.p, x, upload(pr.h0), upload(pr.c0), pr.deviceWeights(), true));
    }

    @Test
    void cellStateRulesAreChecked() {
        Problem lstm = new Problem(Mode.LSTM, 1, false, 2, 2, 4, 3);
        assertRejected(ShapeException.class, "rnn", "c0",
                () -> Functional.rnn(lstm.p, upload(lstm.x), upload(lstm.h0), null, lstm.deviceWeights(), true));
        Problem gru = new Problem(Mode.GRU, 1, false, 2, 2, 4, 3);
        assertRejected(ShapeException.class, "rnn", "c0",
                () -> Functional.rnn(gru.p, upload(gru.x), upload(gru.h0), upload(gru.h0), gru.deviceWeights(), true));
    }

    @Test
    void wrongStateShapeIsRejected() {
        Problem pr = new Problem(Mode.GRU, 2, true, 2, 2, 4, 3);
        Tensor h0 = upload(randn(2, 2, 3));  // needs layers * directions = 4 slots
        assertRejected(ShapeException.class, "rnn", "h0", () -> Functional.rnn(pr.p, upload(pr.x), h0, null, pr.deviceWeights(), true));
    }

    @Test
    void wrongWeightsAreRejected() {
        Problem pr = new Problem(Mode.LSTM, 2, false, 2, 2, 4, 3);
        Tensor x = upload(pr.x), h0 = upload(pr.h0), c0 = upload(pr.c0);
        List<Tensor> w = new ArrayList<>(pr.deviceWeights());
        assertRejected(ShapeException.class, "rnn", "weight tensors", () -> Functional.rnn(pr.p, x, h0, c0, w.subList(0, 7), true));
        w.set(5, upload(randn(12, 4)));  // weight_hh_l1 must be [12, 3]
        assertRejected(ShapeException.class, "rnn", "weight_hh_l1", () -> Functional.rnn(pr.p, x, h0, c0, w, true));
    }

    @Test
    void nonFloatInputIsRejected() {
        Problem pr = new Problem(Mode.GRU, 1, false, 2, 2, 4, 3);
        Tensor x = track(pr.x.to(device(), DType.I64));
        assertRejected(DTypeException.class, "rnn", "I64", () -> Functional.rnn(pr.p, x, upload(pr.h0), null, pr.deviceWeights(), true));
    }

    @Test
    void wrongGradientShapesAreRejected() {
        Problem pr = new Problem(Mode.LSTM, 1, true, 3, 2, 4, 3);
        Tensor x = upload(pr.x), h0 = upload(pr.h0), c0 = upload(pr.c0);
        List<Tensor> w = pr.deviceWeights();
        RnnResult fwd = track(Functional.rnn(pr.p, x, h0, c0, w, true));
        Tensor wrongOut = upload(randn(3, 2, 3));  // bidirectional output is [3, 2, 6]
        assertRejected(ShapeException.class, "rnnBackward", "gradOutput",
                () -> Functional.rnnBackward(pr.p, x, h0, c0, w, fwd, wrongOut, null, null));
        Tensor gOut = upload(randn(3, 2, 6)), wrongH = upload(randn(1, 2, 3));
        assertRejected(ShapeException.class, "rnnBackward", "gradHN",
                () -> Functional.rnnBackward(pr.p, x, h0, c0, w, fwd, gOut, wrongH, null));
    }
}
