package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blocked attention ({@link FlashAttention}) against a float64 reference ({@link AttentionF64}):
 * sizes around the 64-row blocks (1, 7, 65, 129, 200), Tq != Tk both ways, D = 1, 8, 64, 80, causal,
 * padding, full and dead-row masks, strided operands, both tile kernels (Vector API and scalar);
 * device memory linear in T at T = 2048; the same bits across runs, thread counts, kernels and callers.
 * Inputs are fresh seeded random numbers (the seed is in every message).
 */
class FlashAttentionTest {
    /** Relative L2 error allowed for out and log-sum-exp (float32 scores, sums in double). */
    private static final double FORWARD_TOL = 1e-5;
    /** For gradients: dS = P (dP - rowsum(dO out)) cancels, so they carry a few more float roundings. */
    private static final double GRAD_TOL = 1e-4;
    private static final Device CPU = Kiln.device("cpu");
    private static final FlashAttention VECTOR = new FlashAttention(VectorSupport.attentionTiles(true));
    private static final FlashAttention SCALAR = new FlashAttention(ScalarAttentionTiles.INSTANCE);

    private final long seed = System.nanoTime();
    private final Random rnd = new Random(seed);

    enum MaskKind { NONE, PADDING, FULL, DEAD_ROWS }

    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1, 1, 1}, {2, 1, 7, 65, 8}, {1, 2, 65, 7, 64}, {1, 1, 200, 129, 80}, {1, 1, 129, 200, 1},
                {1, 1, 65, 200, 64}, {2, 2, 64, 64, 8}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : sizes) {
            for (MaskKind m : MaskKind.values()) {
                for (boolean causal : new boolean[] {false, true}) out.add(Arguments.of(s, m, causal));
            }
        }
        return out.stream();
    }

    /** A mask of the given kind: its own (broadcast) shape and values, and the same expanded to [N, H, Tq, Tk]. */
    private record Mask(int[] dims, double[] values, double[] expanded) {}

    private Mask mask(MaskKind kind, int n, int h, int tq, int tk) {
        double ninf = Double.NEGATIVE_INFINITY;
        double[] full = new double[n * h * tq * tk];
        return switch (kind) {
            case NONE -> null;
            case PADDING -> {  // [N, 1, 1, Tk]: each batch entry keeps a prefix of at least one key
                double[] m = new double[n * tk];
                for (int b = 0; b < n; b++) for (int j = 1 + rnd.nextInt(tk); j < tk; j++) m[b * tk + j] = ninf;
                for (int x = 0; x < full.length; x++) full[x] = m[(x / (h * tq * tk)) * tk + x % tk];
                yield new Mask(new int[] {n, 1, 1, tk}, m, full);
            }
            case FULL -> {  // [Tq, Tk]: additive bias, a quarter -inf
                double[] m = gaussian(tq * tk);
                for (int x = 0; x < m.length; x++) if (rnd.nextInt(4) == 0) m[x] = ninf;
                for (int x = 0; x < full.length; x++) full[x] = m[x % (tq * tk)];
                yield new Mask(new int[] {tq, tk}, m, full);
            }
            case DEAD_ROWS -> {  // [N, H, Tq, Tk]: bias with every third row of every head entirely -inf
                double[] m = gaussian(full.length);
                for (int row = 0; row < n * h * tq; row++) if (row % 3 == 1) Arrays.fill(m, row * tk, row * tk + tk, ninf);
                yield new Mask(new int[] {n, h, tq, tk}, m, m);
            }
        };
    }

    private double[] gaussian(int n) { return HostInputs.gaussian(rnd, n); }

    private static Tensor tensor(double[] v, int... dims) { return HostInputs.tensor(CPU, v, dims); }

    private void assertClose(double[] ref, Tensor actual, double tol, String what) {
        float[] got = actual.toFloatArray();
        assertEquals(ref.length, got.length, what + ": size");
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Double.isInfinite(ref[i]) || Float.isInfinite(got[i])) {  // +inf log-sum-exp of a dead row must match exactly
                assertEquals(ref[i], got[i], what + ": element " + i + " (seed " + seed + ")");
                continue;
            }
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        double err = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        assertTrue(err < tol, what + ": relative error " + err + " over tolerance " + tol + " (seed " + seed + ")");
    }

    /** One problem: host values, device tensors and the float64 reference. */
    private final class Problem implements AutoCloseable {
        final int[] s;
        final boolean causal;
        final double scale;
        final double[] q, k, v, g;
        final Mask mask;
        final Tensor tq, tk, tv, tg, tm;
        final AttentionF64 ref;

        Problem(int[] s, MaskKind kind, boolean causal) {
            this.s = s;
            this.causal = causal;
            this.scale = 1 / Math.sqrt(s[4]);
            int n = s[0], h = s[1];
            q = gaussian(n * h * s[2] * s[4]);
            k = gaussian(n * h * s[3] * s[4]);
            v = gaussian(k.length);
            g = gaussian(q.length);
            mask = mask(kind, n, h, s[2], s[3]);
            tq = tensor(q, n, h, s[2], s[4]);
            tk = tensor(k, n, h, s[3], s[4]);
            tv = tensor(v, n, h, s[3], s[4]);
            tg = tensor(g, n, h, s[2], s[4]);
            tm = mask == null ? null : tensor(mask.values, mask.dims);
            ref = new AttentionF64(n, h, s[2], s[3], s[4], q, k, v, mask == null ? null : mask.expanded, causal, scale, g);
        }

        String name(String flavour) { return "N,H,Tq,Tk,D=" + Arrays.toString(s) + (causal ? " causal " : " ") + flavour; }

        void check(FlashAttention fa, String flavour) {
            try (AttentionResult r = fa.forward(tq, tk, tv, tm, causal, scale);
                 AttentionGrads gr = fa.backward(tg, tq, tk, tv, tm, causal, scale, r)) {
                assertClose(ref.out, r.out(), FORWARD_TOL, name(flavour) + " out");
                assertClose(ref.lse, r.logSumExp(), FORWARD_TOL, name(flavour) + " logSumExp");
                assertClose(ref.dq, gr.q(), GRAD_TOL, name(flavour) + " grad q");
                assertClose(ref.dk, gr.k(), GRAD_TOL, name(flavour) + " grad k");
                assertClose(ref.dv, gr.v(), GRAD_TOL, name(flavour) + " grad v");
            }
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {tq, tk, tv, tg, tm}) if (t != null) t.close();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardAndGradientsMatchFloat64(int[] s, MaskKind kind, boolean causal) {
        long base = CPU.bytesInUse();
        try (Problem p = new Problem(s, kind, causal)) {
            p.check(VECTOR, "vector (mask " + kind + ")");
            p.check(SCALAR, "scalar (mask " + kind + ")");
        }
        assertEquals(base, CPU.bytesInUse(), "bytes in use after closing every tensor");
    }

    /** Rows with every key dropped: exact zeros in out and in their query gradient, +inf log-sum-exp, no NaN anywhere. */
    @Test
    void fullyMaskedRowsGiveExactZeros() {
        try (Problem p = new Problem(new int[] {2, 2, 70, 33, 8}, MaskKind.DEAD_ROWS, false);
             AttentionResult r = VECTOR.forward(p.tq, p.tk, p.tv, p.tm, false, p.scale);
             AttentionGrads gr = VECTOR.backward(p.tg, p.tq, p.tk, p.tv, p.tm, false, p.scale, r)) {
            float[] out = r.out().toFloatArray(), lse = r.logSumExp().toFloatArray(), dq = gr.q().toFloatArray();
            for (int row = 0; row < lse.length; row++) {
                for (int e = 0; e < 8; e++) {
                    assertTrue(!Float.isNaN(out[row * 8 + e]) && !Float.isNaN(dq[row * 8 + e]), "NaN in row " + row);
                    if (row % 3 == 1) {
                        assertEquals(0f, out[row * 8 + e], "out of dead row " + row);
                        assertEquals(0f, dq[row * 8 + e], "grad q of dead row " + row);
                    }
                }
                assertEquals(row % 3 == 1, lse[row] == Float.POSITIVE_INFINITY, "logSumExp of row " + row + " is " + lse[row]);
            }
            for (float x : gr.k().toFloatArray()) assertTrue(!Float.isNaN(x), "NaN in grad k");
            for (float x : gr.v().toFloatArray()) assertTrue(!Float.isNaN(x), "NaN in grad v");
        }
    }

    /**
     * Operands made by transposes (q and gradOut from [N, T, H, D], k from [N, H, D, T], the mask from
     * [Tk, Tq]), a narrowed v, and q sliced out of a larger batch so that it starts at an offset in
     * its buffer (tensors reach the fast path contiguous, possibly offset; HeadOperand reads any strides).
     */
    @Test
    void transposedSlicedAndOffsetOperands() {
        int n = 2, h = 3, tq = 67, tk = 41, d = 9;
        double[] q = gaussian(n * h * tq * d), k = gaussian(n * h * tk * d), v = gaussian(n * h * tk * d), g = gaussian(q.length);
        double[] m = gaussian(tq * tk);
        for (int x = 0; x < m.length; x += 5) m[x] = Double.NEGATIVE_INFINITY;
        double[] mFull = new double[n * h * tq * tk];
        for (int x = 0; x < mFull.length; x++) mFull[x] = m[x % (tq * tk)];
        AttentionF64 ref = new AttentionF64(n, h, tq, tk, d, q, k, v, mFull, true, 0.3, g);
        double[] qP = new double[q.length + tq * h * d], gP = new double[q.length], kP = new double[k.length], vP = new double[n * h * tk * (d + 3)];
        double[] mP = new double[m.length];
        for (int b = 0; b < n; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < tq; i++) {
                    for (int e = 0; e < d; e++) {
                        qP[(((b + 1) * tq + i) * h + hh) * d + e] = q[((b * h + hh) * tq + i) * d + e];
                        gP[((b * tq + i) * h + hh) * d + e] = g[((b * h + hh) * tq + i) * d + e];
                    }
                }
                for (int j = 0; j < tk; j++) {
                    for (int e = 0; e < d; e++) {
                        kP[((b * h + hh) * d + e) * tk + j] = k[((b * h + hh) * tk + j) * d + e];
                        vP[((b * h + hh) * tk + j) * (d + 3) + e] = v[((b * h + hh) * tk + j) * d + e];
                    }
                }
            }
        }
        for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) mP[j * tq + i] = m[i * tk + j];
        try (Tensor qs = tensor(qP, n + 1, tq, h, d); Tensor gs = tensor(gP, n, tq, h, d); Tensor ks = tensor(kP, n, h, d, tk);
             Tensor vs = tensor(vP, n, h, tk, d + 3); Tensor ms = tensor(mP, tk, tq)) {
            try (Tensor qt = qs.transpose(1, 2); Tensor qv = qt.slice(0, 1, n + 1, 1); Tensor gv = gs.transpose(1, 2);
                 Tensor kv = ks.transpose(2, 3); Tensor vv = vs.narrow(3, 0, d); Tensor mv = ms.transpose(0, 1);
                 AttentionResult r = Functional.attention(qv, kv, vv, mv, true, 0.3);
                 AttentionGrads gr = Functional.attentionBackward(gv, qv, kv, vv, mv, true, 0.3, r)) {
                assertClose(ref.out, r.out(), FORWARD_TOL, "transposed/sliced out");
                assertClose(ref.lse, r.logSumExp(), FORWARD_TOL, "transposed/sliced logSumExp");
                assertClose(ref.dq, gr.q(), GRAD_TOL, "transposed/sliced grad q");
                assertClose(ref.dk, gr.k(), GRAD_TOL, "transposed/sliced grad k");
                assertTrue(qv.view().offset() > 0, "q should start at an offset, has " + qv.view().offset());
                assertClose(ref.dv, gr.v(), GRAD_TOL, "transposed/sliced grad v");
            }
        }
    }

    /** HeadOperand's reads through strides that Tensor views can carry: heads interleaved ([N, T, H, D]) and D strided ([N, H, D, T]). */
    @Test
    void headOperandReadsAnyStrides() {
        int n = 2, h = 3, t = 5, d = 4;
        float[] data = new float[n * h * t * d];
        for (int x = 0; x < data.length; x++) data[x] = (float) rnd.nextGaussian();
        MemorySegment seg = MemorySegment.ofArray(data);
        HeadOperand interleaved = new HeadOperand(seg, 0, new long[] {(long) t * h * d, d, (long) h * d, 1});
        HeadOperand dStrided = new HeadOperand(seg, 0, new long[] {(long) h * d * t, (long) d * t, 1, t});
        float[] rows = new float[3 * d], cols = new float[d * 3];
        for (int b = 0; b < n; b++) {
            for (int hh = 0; hh < h; hh++) {
                interleaved.loadRows(b, hh, 1, 3, d, rows);
                interleaved.loadTransposed(b, hh, 1, 3, d, cols);
                for (int r = 0; r < 3; r++) {
                    for (int e = 0; e < d; e++) {
                        float want = data[((b * t + 1 + r) * h + hh) * d + e];
                        assertEquals(want, rows[r * d + e]);
                        assertEquals(want, cols[e * 3 + r]);
                        assertEquals(want, interleaved.at(b, hh, 1 + r, e));
                    }
                }
                dStrided.loadRows(b, hh, 1, 3, d, rows);
                for (int r = 0; r < 3; r++) {
                    for (int e = 0; e < d; e++) assertEquals(data[((b * h + hh) * d + e) * t + 1 + r], rows[r * d + e]);
                }
            }
        }
    }

    /**
     * T = 2048, D = 64: the device memory held during the forward and the backward is their outputs
     * (a few MiB), not the 16 MiB of one head's [T, T] scores; the results still match float64.
     */
    @Test
    void longSequencesKeepDeviceMemoryLinearInT() {
        int n = 1, h = 2, t = 2048, d = 64;
        CpuBackend be = (CpuBackend) CPU.backend();
        long scoreMatrix = (long) t * t * 4;
        try (Problem p = new Problem(new int[] {n, h, t, t, d}, MaskKind.NONE, true)) {
            long before = be.bytesInUse();
            be.resetHighWater();
            try (AttentionResult r = Functional.attention(p.tq, p.tk, p.tv, null, true, p.scale)) {
                long forwardPeak = be.resetHighWater() - before;
                long outputs = (long) n * h * t * (d + 1) * 4;
                assertTrue(forwardPeak <= outputs + outputs / 4 + 4096,
                        "forward held " + forwardPeak + " bytes; outputs are " + outputs + ", one [T, T] score matrix " + scoreMatrix);
                long mid = be.bytesInUse();
                try (AttentionGrads gr = Functional.attentionBackward(p.tg, p.tq, p.tk, p.tv, null, true, p.scale, r)) {
                    long backwardPeak = be.resetHighWater() - mid;
                    long grads = 3L * n * h * t * d * 4;
                    assertTrue(backwardPeak <= grads + grads / 4 + 4096,
                            "backward held " + backwardPeak + " bytes; gradients are " + grads + ", one [T, T] score matrix " + scoreMatrix);
                    assertClose(p.ref.out, r.out(), FORWARD_TOL, "T=2048 out");
                    assertClose(p.ref.lse, r.logSumExp(), FORWARD_TOL, "T=2048 logSumExp");
                    assertClose(p.ref.dq, gr.q(), GRAD_TOL, "T=2048 grad q");
                    assertClose(p.ref.dk, gr.k(), GRAD_TOL, "T=2048 grad k");
                    assertClose(p.ref.dv, gr.v(), GRAD_TOL, "T=2048 grad v");
                }
            }
        }
    }

    private static float[][] bits(AttentionResult r, AttentionGrads g) {
        return new float[][] {r.out().toFloatArray(), r.logSumExp().toFloatArray(), g.q().toFloatArray(), g.k().toFloatArray(),
                g.v().toFloatArray()};
    }

    private static float[][] run(FlashAttention fa, Problem p, boolean parallel) {
        try (AttentionResult r = fa.forward(p.tq, p.tk, p.tv, p.tm, p.causal, p.scale, parallel);
             AttentionGrads g = fa.backward(p.tg, p.tq, p.tk, p.tv, p.tm, p.causal, p.scale, r, parallel)) {
            return bits(r, g);
        }
    }

    private static float[][] viaFunctional(Problem p) {
        try (AttentionResult r = Functional.attention(p.tq, p.tk, p.tv, p.tm, p.causal, p.scale);
             AttentionGrads g = Functional.attentionBackward(p.tg, p.tq, p.tk, p.tv, p.tm, p.causal, p.scale, r)) {
            return bits(r, g);
        }
    }

    /**
     * The same bits from every run: again, on one thread or all of the pool's, with the scalar tile
     * kernel (the same FMA chains), through Functional (the backend's own path), from 8 callers at
     * once, and after the JIT has compiled the kernels.
     */
    @Test
    void sameBitsAcrossRunsThreadsKernelsAndCallers() throws Exception {
        try (Problem p = new Problem(new int[] {2, 2, 130, 75, 24}, MaskKind.PADDING, true)) {
            float[][] expected = run(VECTOR, p, true);
            assertArrayEquals(expected, run(VECTOR, p, true), "a second run");
            assertArrayEquals(expected, run(VECTOR, p, false), "one thread against the pool");
            assertArrayEquals(expected, run(SCALAR, p, true), "scalar tile kernel against the vector one");
            assertArrayEquals(expected, viaFunctional(p), "Functional.attention on cpu against FlashAttention");
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<float[][]>> results = new ArrayList<>();
                for (int c = 0; c < 8; c++) results.add(pool.submit(() -> viaFunctional(p)));
                for (Future<float[][]> f : results) assertArrayEquals(expected, f.get(2, TimeUnit.MINUTES), "8 callers at once");
            } finally {
                pool.shutdown();
            }
        }
        try (Problem small = new Problem(new int[] {1, 1, 7, 9, 8}, MaskKind.FULL, false)) {
            float[][] cold = run(VECTOR, small, false);
            for (int i = 0; i < 3000; i++) run(VECTOR, small, false);
            assertArrayEquals(cold, run(VECTOR, small, false), "the compiled kernels changed the bits");
        }
    }
}
