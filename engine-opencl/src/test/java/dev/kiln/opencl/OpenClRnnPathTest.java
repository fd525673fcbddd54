package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import dev.kiln.tck.ref.RnnBackpropReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenClRnn (rnn.cl and the backend's GEMM) against the float64 BPTT of the conformance kit
 * ({@link RnnBackpropReference}): LSTM and GRU, sequences up to 50 steps, hidden sizes 1, 7 and 33,
 * batch 1 and 3, up to three bidirectional layers, every gradient; inference against training, and
 * the reserve shared with the composite (each backward reads the other's forward).
 */
class OpenClRnnPathTest extends OpenClTestSupport {
    /** The kit's F32 tolerance; gradients that are sums are judged against their terms' scale (as CpuRnnPathTest). */
    private static final double TOL = 1e-5;
    private Device device;
    private FastPaths fast;

    @BeforeEach
    void device() {
        device = Kiln.device("opencl:0");
        fast = device.backend().fastPaths();
        assertInstanceOf(OpenClFastPaths.class, fast);
    }

    private double[] gaussian(int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    private Tensor tensor(double[] v, int... dims) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return device.fromArray(f, dims);
    }

    private void close(Tensor out, double[] ref, double[] scale, String what) {
        float[] got = out.toFloatArray();
        assertEquals(ref.length, got.length, what + " length");
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += scale[i] * scale[i];
        }
        double err = Math.sqrt(num / Math.max(den, 1e-300));
        assertTrue(err <= TOL, what + ": relative error " + err + " above " + TOL + seedNote());   // NaN fails too
    }

    private void run(RnnParams.Mode mode, int layers, boolean bidirectional, int steps, int batch, int in, int hidden) {
        RnnParams p = new RnnParams(mode, in, hidden, layers, bidirectional);
        boolean lstm = mode == RnnParams.Mode.LSTM;
        int slots = layers * p.directions(), g = p.gates() * hidden;
        double[] x = gaussian(steps * batch * in, 1), h0 = gaussian(slots * batch * hidden, 1);
        double[] c0 = lstm ? gaussian(slots * batch * hidden, 1) : null;
        double scale = 1.5 / Math.sqrt(hidden);   // a little above PyTorch's init range, so the gates saturate now and then
        double[][] w = new double[4 * slots][];
        for (int slot = 0; slot < slots; slot++) {
            w[4 * slot] = gaussian(g * p.layerInput(slot / p.directions()), scale);
            w[4 * slot + 1] = gaussian(g * hidden, scale);
            w[4 * slot + 2] = gaussian(g, scale);
            w[4 * slot + 3] = gaussian(g, scale);
        }
        double[] gOut = gaussian(steps * batch * p.directions() * hidden, 1), gH = gaussian(slots * batch * hidden, 1);
        double[] gC = lstm ? gaussian(slots * batch * hidden, 1) : null;
        RnnBackpropReference ref = new RnnBackpropReference(lstm, layers, bidirectional, steps, batch, in, hidden, x, h0, c0, w);
        ref.forward();
        ref.backwardFromF32Saved(gOut, gH, gC);   // the reserve holds F32 activations, as every backend's

        int[] states = {slots, batch, hidden};
        List<Tensor> all = new ArrayList<>();
        Tensor xt = tensor(x, steps, batch, in), h0t = tensor(h0, states), c0t = lstm ? tensor(c0, states) : null;
        Tensor gOutT = tensor(gOut, steps, batch, p.directions() * hidden), gHt = tensor(gH, states), gCt = lstm ? tensor(gC, states) : null;
        List<Tensor> wt = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            int slot = i / 4;
            wt.add(switch (i % 4) {
                case 0 -> tensor(w[i], g, p.layerInput(slot / p.directions()));
                case 1 -> tensor(w[i], g, hidden);
                default -> tensor(w[i], g);
            });
        }
        all.addAll(java.util.Arrays.asList(xt, h0t, c0t, gOutT, gHt, gCt));
        all.addAll(wt);
        String what = mode + " layers " + layers + (bidirectional ? " bidirectional" : "") + " T=" + steps + " N=" + batch + " in " + in
                + " H=" + hidden + ": ";
        try (RnnResult fwd = fast.rnn(p, xt, h0t, c0t, wt, true); RnnResult infer = fast.rnn(p, xt, h0t, c0t, wt, false);
             RnnGrads grads = fast.rnnBackward(p, xt, h0t, c0t, wt, fwd, gOutT, gHt, gCt);
             RnnGrads noStateGrads = fast.rnnBackward(p, xt, h0t, c0t, wt, fwd, gOutT, null, null)) {
            close(fwd.output(), ref.output, ref.output, what + "output");
            close(fwd.hN(), ref.hN, ref.hN, what + "hN");
            if (lstm) close(fwd.cN(), ref.cN, ref.cN, what + "cN");
            assertEquals(0, infer.reserve().numel(), "inference keeps no reserve");
            assertArrayEquals(fwd.output().toFloatArray(), infer.output().toFloatArray(), what + "inference and training output bits");
            close(grads.input(), ref.gInput, ref.gInputTermScale, what + "grad input");
            close(grads.h0(), ref.gH0, ref.gH0TermScale, what + "grad h0");
            if (lstm) close(grads.c0(), ref.gC0, ref.gC0, what + "grad c0");
            String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
            for (int i = 0; i < w.length; i++) {
                close(grads.weights().get(i), ref.gW[i], ref.gWTermScale[i], what + "grad " + names[i % 4] + " of slot " + i / 4);
            }
            // no gradient into the final states: the same as passing zeros
            try (Tensor zh = device.zeros(states); Tensor zc = lstm ? device.zeros(states) : null;
                 RnnGrads zeros = fast.rnnBackward(p, xt, h0t, c0t, wt, fwd, gOutT, zh, zc)) {
                assertArrayEquals(zeros.input().toFloatArray(), noStateGrads.input().toFloatArray(), what + "null final-state gradients");
            }
            // Either side's backward reads the other's forward. The composite saves activations computed
            // by float primitives, a few ulp off, which a saturated gate's slope magnifies by 1 / (1 - s);
            // with one hidden unit and one step nothing averages that out, so the interchange (a layout
            // check; the composite's accuracy is the kit's business) runs where H >= 7, as CpuRnnPathTest's.
            if (hidden < 7) return;
            try (RnnResult theirs = FastPaths.COMPOSITE.rnn(p, xt, h0t, c0t, wt, true);
                 RnnGrads mineOfTheirs = fast.rnnBackward(p, xt, h0t, c0t, wt, theirs, gOutT, gHt, gCt);
                 RnnGrads theirsOfMine = FastPaths.COMPOSITE.rnnBackward(p, xt, h0t, c0t, wt, fwd, gOutT, gHt, gCt)) {
                close(theirs.reserve(), toDouble(fwd.reserve().toFloatArray()), toDouble(fwd.reserve().toFloatArray()), what + "reserve");
                for (RnnGrads other : new RnnGrads[] {mineOfTheirs, theirsOfMine}) {
                    close(other.input(), ref.gInput, ref.gInputTermScale, what + "interchanged grad input");
                    close(other.weights().get(1), ref.gW[1], ref.gWTermScale[1], what + "interchanged grad weight_hh");
                }
            }
        } finally {
            for (Tensor t : all) if (t != null) t.close();
        }
    }

    @Test
    void lstmMatchesFloat64() {
        int[][] shapes = {{1, 0, 1, 1, 5, 1}, {1, 0, 50, 1, 3, 7}, {1, 0, 7, 3, 9, 33}, {2, 1, 7, 3, 6, 33}, {3, 1, 5, 3, 4, 7}, {1, 1, 50, 1, 2, 33}};
        for (int[] s : shapes) run(RnnParams.Mode.LSTM, s[0], s[1] == 1, s[2], s[3], s[4], s[5]);
    }

    @Test
    void gruMatchesFloat64() {
        int[][] shapes = {{1, 0, 1, 1, 5, 1}, {1, 0, 50, 1, 3, 7}, {1, 0, 7, 3, 9, 33}, {2, 1, 7, 3, 3, 1}, {3, 1, 5, 3, 4, 7}, {1, 1, 50, 1, 2, 33}};
        for (int[] s : shapes) run(RnnParams.Mode.GRU, s[0], s[1] == 1, s[2], s[3], s[4], s[5]);
    }

    @Test
    void nanInTheInputReachesTheOutput() {
        RnnParams p = new RnnParams(RnnParams.Mode.LSTM, 2, 3, 1, false);
        float[] xs = new float[4 * 1 * 2];
        xs[2] = Float.NaN;   // step 1
        try (Tensor x = device.fromArray(xs, 4, 1, 2); Tensor h0 = device.zeros(1, 1, 3); Tensor c0 = device.zeros(1, 1, 3);
             Tensor wih = device.full(0.1, 12, 2); Tensor whh = device.full(0.1, 12, 3); Tensor b1 = device.zeros(12); Tensor b2 = device.zeros(12);
             RnnResult r = fast.rnn(p, x, h0, c0, List.of(wih, whh, b1, b2), false)) {
            float[] out = r.output().toFloatArray();
            for (int i = 0; i < out.length; i++) assertEquals(i >= 3, Float.isNaN(out[i]), "element " + i + " is " + out[i]);
        }
    }
}
