package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import dev.kiln.composite.RnnComposite;
import dev.kiln.tck.HostTensor;
import dev.kiln.tck.ref.NumericGradient;
import dev.kiln.tck.ref.RnnBackpropReference;
import dev.kiln.tck.ref.RnnReference;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CpuRnn} where the conformance kit's small cases do not reach: long sequences (T up to 50),
 * hidden sizes off the vector width (1, 7, 33), batch 1 (GEMV recurrence) and 17 (GEMM recurrence
 * on prepacked W_hh, parallel gate passes), two and three bidirectional layers, every gradient; against an
 * analytic float64 BPTT ({@link RnnBackpropReference}, itself checked against central differences),
 * with the Vector API kernels and the scalar ones. Also: the reserve is the composite's layout (each
 * backward reads the other's forward), the same bits at 1, 2 and 3 threads and before and after the
 * JIT, vector and scalar gate kernels bit for bit.
 */
class CpuRnnPathTest {
    /**
     * Relative L2 error against float64, the kit's F32 tolerance. Gradients are sums that may cancel
     * (weights over T * N rows, input and h0 over the gates) and are judged against their terms' scale:
     * relative to their own value, a GRU's H = 1 weight_hh (3 sums of 850 terms) measured 1.5e-5 and
     * an H = 1 h0 gradient (a sum of 4 terms) 1.4e-5, where everything else stayed under 2.6e-6. H = 1
     * runs at T <= 7: through 50 steps its single state per row compounds the cancellations (up to 4e-5
     * of the last sum's term scale was measured there), where H = 7 and 33 at T = 50 stay under 3e-6.
     */
    private static final double TOL = 1e-5;
    private static final Device CPU = Kiln.device("cpu");
    private final long seed = Long.getLong("kiln.tck.seed", System.nanoTime());  // -Dkiln.tck.seed repeats a failure
    private final Random rnd = new Random(seed);

    private record Flavour(String name, CpuRnn rnn) {
        @Override public String toString() { return name; }
    }

    private static List<Flavour> flavours() {
        return List.of(new Flavour("vector", new CpuRnn(new Gemm(VectorSupport.gemmKernel(true)), VectorSupport.f32Kernels(true),
                        VectorSupport.rnnKernels(true))),
                new Flavour("scalar", new CpuRnn(new Gemm(new ScalarGemmKernel()), ScalarF32Kernels.INSTANCE, ScalarRnnKernels.INSTANCE)));
    }

    /** One problem: float32-rounded host values, their device copies on demand, the float64 reference. */
    private final class Problem {
        final RnnParams p;
        final int steps, batch;
        final double[] x, h0, c0, gOut, gH, gC;
        final double[][] w;

        Problem(RnnParams.Mode mode, int layers, boolean bidirectional, int steps, int batch, int in, int hidden) {
            this.p = new RnnParams(mode, in, hidden, layers, bidirectional);
            this.steps = steps;
            this.batch = batch;
            int slots = layers * p.directions(), g = p.gates() * hidden;
            x = gaussian(steps * batch * in, 1);
            h0 = gaussian(slots * batch * hidden, 1);
            c0 = mode == RnnParams.Mode.LSTM ? gaussian(slots * batch * hidden, 1) : null;
            double scale = 1.5 / Math.sqrt(hidden);  // a little above PyTorch's init range, so the gates saturate now and then
            w = new double[4 * slots][];
            for (int slot = 0; slot < slots; slot++) {
                int inW = p.layerInput(slot / p.directions());
                w[4 * slot] = gaussian(g * inW, scale);
                w[4 * slot + 1] = gaussian(g * hidden, scale);
                w[4 * slot + 2] = gaussian(g, scale);
                w[4 * slot + 3] = gaussian(g, scale);
            }
            gOut = gaussian(steps * batch * p.directions() * hidden, 1);
            gH = gaussian(slots * batch * hidden, 1);
            gC = c0 == null ? null : gaussian(slots * batch * hidden, 1);
        }

        boolean lstm() { return p.mode() == RnnParams.Mode.LSTM; }

        /** The float64 reference; {@code f32Saved}: its backward starts from F32-rounded saved values, as the backends' does. */
        RnnBackpropReference reference(boolean f32Saved) {
            RnnBackpropReference r = new RnnBackpropReference(lstm(), p.numLayers(), p.bidirectional(), steps, batch, p.inputSize(),
                    p.hiddenSize(), x, h0, c0, w);
            r.forward();
            if (f32Saved) r.backwardFromF32Saved(gOut, gH, gC);
            else r.backward(gOut, gH, gC);
            return r;
        }

        int[] stateDims() { return new int[] {p.numLayers() * p.directions(), batch, p.hiddenSize()}; }

        Tensor x() { return tensor(x, steps, batch, p.inputSize()); }

        Tensor h0() { return tensor(h0, stateDims()); }

        Tensor c0() { return c0 == null ? null : tensor(c0, stateDims()); }

        Tensor gOut() { return tensor(gOut, steps, batch, p.directions() * p.hiddenSize()); }

        Tensor gH() { return tensor(gH, stateDims()); }

        Tensor gC() { return gC == null ? null : tensor(gC, stateDims()); }

        List<Tensor> weights() {
            List<Tensor> out = new ArrayList<>();
            int g = p.gates() * p.hiddenSize();
            for (int i = 0; i < w.length; i++) {
                int slot = i / 4;
                out.add(switch (i % 4) {
                    case 0 -> tensor(w[i], g, p.layerInput(slot / p.directions()));
                    case 1 -> tensor(w[i], g, p.hiddenSize());
                    default -> tensor(w[i], g);
                });
            }
            return out;
        }

        @Override
        public String toString() {
            return p.mode() + " layers " + p.numLayers() + (p.bidirectional() ? " bidirectional" : "") + " T=" + steps + " N=" + batch
                    + " in " + p.inputSize() + " H=" + p.hiddenSize();
        }
    }

    private double[] gaussian(int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    private static Tensor tensor(double[] v, int... dims) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return CPU.fromArray(f, dims);
    }

    private void assertClose(double[] ref, Tensor out, String what) { assertCloseToScale(ref, ref, out, what); }

    /**
     * L2 error relative to {@code scale}: the reference itself, or for sums that may cancel (weight and
     * bias gradients over T * N rows) the sum of the terms' magnitudes (KilnTestCase.assertCloseToTermScale's rule).
     */
    private void assertCloseToScale(double[] ref, double[] scale, Tensor out, String what) {
        float[] got = out.toFloatArray();
        assertEquals(ref.length, got.length, what + " length");
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += scale[i] * scale[i];
        }
        double err = Math.sqrt(num / Math.max(den, 1e-300));
        assertTrue(err <= TOL, what + ": relative error " + err + " above " + TOL + " (seed " + seed + ")");  // NaN fails too
    }

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {  // layers, bidirectional (0/1), T, N, in, H
                {1, 0, 1, 1, 5, 1}, {1, 0, 50, 1, 3, 7}, {1, 0, 50, 17, 4, 7}, {1, 0, 7, 17, 9, 33},
                {2, 1, 7, 1, 6, 33}, {2, 1, 7, 17, 3, 1}, {2, 1, 13, 17, 5, 33}, {1, 1, 50, 1, 2, 33},
                {3, 1, 5, 3, 4, 7}};  // three layers: inference alternates its two layer buffers
        for (RnnParams.Mode mode : RnnParams.Mode.values()) {
            for (int[] s : shapes) out.add(Arguments.of(mode, s[0], s[1] == 1, s[2], s[3], s[4], s[5]));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void forwardAndEveryGradientMatchFloat64(RnnParams.Mode mode, int layers, boolean bidirectional, int steps, int batch, int in, int hidden) {
        Problem pr = new Problem(mode, layers, bidirectional, steps, batch, in, hidden);
        RnnBackpropReference ref = pr.reference(true);
        long base = CPU.bytesInUse();
        for (Flavour f : flavours()) {
            String what = pr + " " + f + ": ";
            Tensor x = pr.x(), h0 = pr.h0(), c0 = pr.c0(), gOut = pr.gOut(), gH = pr.gH(), gC = pr.gC();
            List<Tensor> w = pr.weights();
            try (RnnResult fwd = f.rnn().forward(pr.p, x, h0, c0, w, true);
                 RnnResult infer = f.rnn().forward(pr.p, x, h0, c0, w, false);
                 RnnGrads grads = f.rnn().backward(pr.p, x, h0, c0, w, fwd, gOut, gH, gC)) {
                assertClose(ref.output, fwd.output(), what + "output");
                assertClose(ref.hN, fwd.hN(), what + "hN");
                if (pr.lstm()) assertClose(ref.cN, fwd.cN(), what + "cN");
                assertEquals(0, infer.reserve().numel(), "inference keeps no reserve");
                assertArrayEquals(fwd.output().toFloatArray(), infer.output().toFloatArray(), what + "inference and training output bits");
                assertArrayEquals(fwd.hN().toFloatArray(), infer.hN().toFloatArray(), what + "inference and training hN bits");
                assertCloseToScale(ref.gInput, ref.gInputTermScale, grads.input(), what + "grad input");
                assertCloseToScale(ref.gH0, ref.gH0TermScale, grads.h0(), what + "grad h0");
                if (pr.lstm()) assertClose(ref.gC0, grads.c0(), what + "grad c0");
                String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
                for (int i = 0; i < w.size(); i++) {
                    assertCloseToScale(ref.gW[i], ref.gWTermScale[i], grads.weights().get(i), what + "grad " + names[i % 4] + " of slot " + i / 4);
                }
            } finally {
                closeAll(x, h0, c0, gOut, gH, gC);
                w.forEach(Tensor::close);
            }
        }
        assertEquals(base, CPU.bytesInUse(), "bytes in use after the calls: a temporary leaked");
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) if (t != null) t.close();
    }

    /** The analytic reference agrees with central differences of the kit's forward reference. */
    @ParameterizedTest
    @MethodSource("modes")
    void backpropReferenceMatchesCentralDifferences(RnnParams.Mode mode) {
        Problem pr = new Problem(mode, 2, true, 3, 2, 3, 2);
        RnnBackpropReference ref = pr.reference(false);
        int slots = 4;
        int[] state = pr.stateDims();
        double[] lossWeights = concat(pr.gOut, pr.gH, pr.lstm() ? pr.gC : new double[0]);
        java.util.function.Supplier<double[]> f = () -> {
            List<HostTensor> w = new ArrayList<>();
            for (int i = 0; i < pr.w.length; i++) w.add(new HostTensor(pr.w[i], pr.w[i].length));
            for (int slot = 0; slot < slots; slot++) {
                int inW = pr.p.layerInput(slot / 2), g = pr.p.gates() * pr.p.hiddenSize();
                w.set(4 * slot, new HostTensor(pr.w[4 * slot], g, inW));
                w.set(4 * slot + 1, new HostTensor(pr.w[4 * slot + 1], g, pr.p.hiddenSize()));
            }
            RnnReference.Result r = RnnReference.forward(pr.lstm(), 2, true, new HostTensor(pr.x, pr.steps, pr.batch, pr.p.inputSize()),
                    new HostTensor(pr.h0, state), pr.c0 == null ? null : new HostTensor(pr.c0, state), w);
            return concat(r.output().data, r.hN().data, pr.lstm() ? r.cN().data : new double[0]);
        };
        // The differences carry float64 rounding of the loss's terms divided by the step: a floor under any tolerance.
        double[] outputs = f.get();
        double terms = 0;
        for (int i = 0; i < outputs.length; i++) terms += Math.abs(lossWeights[i] * outputs[i]);
        double floor = 0x1p-52 * terms / NumericGradient.STEP;
        assertNear(NumericGradient.of(f, pr.x, lossWeights), ref.gInput, floor, "input");
        assertNear(NumericGradient.of(f, pr.h0, lossWeights), ref.gH0, floor, "h0");
        if (pr.lstm()) assertNear(NumericGradient.of(f, pr.c0, lossWeights), ref.gC0, floor, "c0");
        for (int i = 0; i < pr.w.length; i++) assertNear(NumericGradient.of(f, pr.w[i], lossWeights), ref.gW[i], floor, "weight " + i);
    }

    static Stream<RnnParams.Mode> modes() { return Stream.of(RnnParams.Mode.values()); }

    /** Relative L2 error under 1e-7, where each element may also be off by the differences' rounding floor. */
    private void assertNear(double[] numeric, double[] analytic, double floor, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < numeric.length; i++) {
            num += (numeric[i] - analytic[i]) * (numeric[i] - analytic[i]);
            den += numeric[i] * numeric[i];
        }
        double allowed = 1e-7 * Math.sqrt(den) + floor * Math.sqrt(numeric.length);
        assertTrue(Math.sqrt(num) <= allowed, what + ": analytic against central differences " + Math.sqrt(num / Math.max(den, 1e-300))
                + " relative, " + Math.sqrt(num) + " absolute, allowed " + allowed + " (seed " + seed + ")");
    }

    private static double[] concat(double[]... parts) {
        return Arrays.stream(parts).flatMapToDouble(Arrays::stream).toArray();
    }

    /** The reserve is the composite's layout: each path's backward reads the other's forward. */
    @ParameterizedTest
    @MethodSource("modes")
    void reserveIsTheCompositeLayout(RnnParams.Mode mode) {
        Problem pr = new Problem(mode, 2, true, 5, 17, 4, 7);
        CpuRnn rnn = flavours().getFirst().rnn();
        long base = CPU.bytesInUse();
        Tensor x = pr.x(), h0 = pr.h0(), c0 = pr.c0(), gOut = pr.gOut(), gH = pr.gH(), gC = pr.gC();
        List<Tensor> w = pr.weights();
        RnnBackpropReference ref = pr.reference(true);
        try (RnnResult ours = rnn.forward(pr.p, x, h0, c0, w, true);
             RnnResult theirs = RnnComposite.forward(pr.p, x, h0, c0, w, true);
             RnnGrads fromTheirs = rnn.backward(pr.p, x, h0, c0, w, theirs, gOut, gH, gC);
             RnnGrads fromOurs = RnnComposite.backward(pr.p, x, h0, c0, w, ours, gOut, gH, gC)) {
            assertArrayEquals(theirs.reserve().shape().dims(), ours.reserve().shape().dims(), "reserve shape");
            double[] composite = Arrays.stream(box(theirs.reserve().toFloatArray())).toArray();
            assertClose(composite, ours.reserve(), pr + ": reserve against the composite's");
            for (RnnGrads g : List.of(fromTheirs, fromOurs)) {
                assertCloseToScale(ref.gInput, ref.gInputTermScale, g.input(), pr + ": grad input across paths");
                assertCloseToScale(ref.gH0, ref.gH0TermScale, g.h0(), pr + ": grad h0 across paths");
                for (int i = 0; i < w.size(); i++) assertCloseToScale(ref.gW[i], ref.gWTermScale[i], g.weights().get(i), pr + ": grad weight " + i + " across paths");
            }
        } finally {
            closeAll(x, h0, c0, gOut, gH, gC);
            w.forEach(Tensor::close);
        }
        assertEquals(base, CPU.bytesInUse(), "bytes in use after the calls");
    }

    private static double[] box(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The Vector API gate kernels give the scalar ones' bits, over lengths across the vector width and its tail. */
    @Test
    void vectorAndScalarGateKernelsAgreeBitForBit() {
        RnnKernels vector = VectorSupport.rnnKernels(true), scalar = ScalarRnnKernels.INSTANCE;
        assertTrue(vector instanceof VectorRnnKernels, "tests run with the vector module");
        try (Arena arena = Arena.ofConfined()) {
            for (int len : new int[] {1, 7, 8, 15, 16, 17, 33, 64, 129}) {
                int hidden = len + 3;  // gates blocks further apart than the columns processed
                MemorySegment[] a = new MemorySegment[8], b = new MemorySegment[8];
                for (int i = 0; i < 8; i++) {
                    a[i] = arena.allocate(5L * hidden * 4, 64);
                    for (long e = 0; e < 5L * hidden; e++) a[i].setAtIndex(Elem.F, e, (float) (rnd.nextGaussian() * 2));
                    b[i] = arena.allocate(5L * hidden * 4, 64);
                }
                Runnable copy = () -> { for (int i = 0; i < 8; i++) b[i].copyFrom(a[i]); };
                List<java.util.function.BiConsumer<RnnKernels, MemorySegment[]>> calls = List.of(
                        (k, s) -> k.lstmForward(s[0], 1, hidden, s[1], 2, s[2], 0, s[3], 3, len),
                        (k, s) -> k.lstmForward(s[0], 0, hidden, s[1], 0, s[1], 0, s[3], 0, len),  // c updated in place
                        (k, s) -> k.gruForward(s[0], 1, hidden, s[1], 0, s[2], 2, s[3], 1, s[4], 3, len),
                        (k, s) -> k.gruForward(s[0], 0, hidden, s[1], 0, s[2], 0, s[3], 0, null, 0, len),
                        (k, s) -> k.lstmBackward(s[0], 1, hidden, s[1], 0, s[2], 2, s[3], 0, s[4], 1, s[5], 2, len),
                        (k, s) -> k.gruBackward(s[0], 0, hidden, s[1], 1, s[2], 0, s[3], 2, s[4], 1, s[5], 0, len));
                for (int c = 0; c < calls.size(); c++) {
                    copy.run();
                    calls.get(c).accept(scalar, b);
                    float[][] expected = new float[8][];
                    for (int i = 0; i < 8; i++) expected[i] = b[i].toArray(Elem.F);
                    copy.run();
                    calls.get(c).accept(vector, b);
                    for (int i = 0; i < 8; i++) assertArrayEquals(expected[i], b[i].toArray(Elem.F), "kernel " + c + ", length " + len + ", buffer " + i);
                }
            }
        }
    }

    /**
     * The same bits interpreted and compiled (the pattern of {@link JitDeterminismTest}), forward and
     * backward: 3000 calls of 24 gate passes each are enough for C2 to compile the kernels.
     */
    @Test
    void keepsItsBitsOnceCompiled() {
        CpuRnn rnn = flavours().getFirst().rnn();
        for (RnnParams.Mode mode : RnnParams.Mode.values()) {
            Problem pr = new Problem(mode, 1, true, 6, 2, 3, 9);
            Tensor x = pr.x(), h0 = pr.h0(), c0 = pr.c0(), gOut = pr.gOut();
            List<Tensor> w = pr.weights();
            try (RnnResult fwd = rnn.forward(pr.p, x, h0, c0, w, true)) {
                coldAndHot(mode + " forward", () -> {
                    try (RnnResult r = rnn.forward(pr.p, x, h0, c0, w, false)) {
                        return r.output().toFloatArray();
                    }
                });
                coldAndHot(mode + " backward", () -> {
                    try (RnnGrads g = rnn.backward(pr.p, x, h0, c0, w, fwd, gOut, null, null)) {
                        return concat(box(g.input().toFloatArray()), box(g.h0().toFloatArray()), box(g.weights().get(1).toFloatArray()));
                    }
                });
            } finally {
                closeAll(x, h0, c0, gOut);
                w.forEach(Tensor::close);
            }
        }
    }

    private static void coldAndHot(String what, java.util.function.Supplier<?> f) {
        Object cold = f.get();
        for (int i = 0; i < 3000; i++) f.get();
        Object hot = f.get();
        if (cold instanceof float[] c) assertArrayEquals(c, (float[]) hot, what + ": the compiled kernels changed the bits");
        else assertArrayEquals((double[]) cold, (double[]) hot, what + ": the compiled kernels changed the bits");
    }

    /** The same bits with 1, 2 (this JVM, on this machine) and 3 worker threads: each child JVM prints a digest. */
    @Test
    void sameBitsAtAnyThreadCount() throws Exception {
        String here = RnnDigestMain.digest();
        for (int threads : new int[] {1, 3}) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Dkiln.cpu.threads=" + threads,
                    "-cp", System.getProperty("java.class.path"), RnnDigestMain.class.getName()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES));
            assertEquals(0, p.exitValue(), output);
            assertTrue(output.contains("digest " + here), threads + " threads gave other bits than " + Parallel.THREADS + ": " + output + " vs " + here);
        }
    }
}
