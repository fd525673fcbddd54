package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import dev.kiln.tck.HostTensor;
import dev.kiln.tck.ref.AttentionReference;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * attention.cl (OpenClAttention) against a float64 reference of the forward and of the gradients,
 * on sizes around the tile, head sizes that are not powers of two, causal with Tq != Tk, masks
 * broadcast in several ways and rows whose every key is dropped; plus interchange with the
 * composite, NaN propagation and identical bits on repeated calls.
 */
class OpenClAttentionPathTest extends OpenClTestSupport {
    private Device device;
    private FastPaths fast;

    @BeforeEach
    void device() {
        device = Kiln.device("opencl:0");
        fast = device.backend().fastPaths();
        assertInstanceOf(OpenClFastPaths.class, fast);
    }

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    private static HostTensor host(float[] v, int... shape) { return new HostTensor(toDouble(v), shape); }

    /** Float64 gradients of q, k, v and their terms' scales (the same sums over absolute values). */
    private record Grads(double[] dq, double[] dk, double[] dv, double[] dqScale, double[] dkScale, double[] dvScale) {}

    private static Grads gradients(HostTensor q, HostTensor k, HostTensor v, HostTensor mask, boolean causal, double scale,
                                   HostTensor dout) {
        int bn = q.shape[0], heads = q.shape[1], tq = q.shape[2], d = q.shape[3], tk = k.shape[2];
        double[] dq = new double[q.numel()], dk = new double[k.numel()], dv = new double[v.numel()];
        double[] sq = new double[q.numel()], sk = new double[k.numel()], sv = new double[v.numel()];
        for (int n = 0; n < bn; n++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q.get(n, h, i, e) * k.get(n, h, j, e);
                        s[j] = scale * dot + (mask == null ? 0 : maskAt(mask, n, h, i, j));
                        if (causal && j > i) s[j] = Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue;   // dead row: no gradient
                    double sum = 0;
                    for (int j = 0; j < tk; j++) sum += Math.exp(s[j] - max);
                    double[] p = new double[tk], dp = new double[tk], dpAbs = new double[tk];
                    double rowDot = 0, rowDotAbs = 0;
                    for (int j = 0; j < tk; j++) {
                        p[j] = Math.exp(s[j] - max) / sum;
                        for (int e = 0; e < d; e++) {
                            dp[j] += dout.get(n, h, i, e) * v.get(n, h, j, e);
                            dpAbs[j] += Math.abs(dout.get(n, h, i, e) * v.get(n, h, j, e));
                        }
                        rowDot += p[j] * dp[j];
                        rowDotAbs += p[j] * dpAbs[j];
                    }
                    for (int j = 0; j < tk; j++) {
                        double ds = p[j] * (dp[j] - rowDot) * scale, dsAbs = p[j] * (dpAbs[j] + rowDotAbs) * scale;
                        for (int e = 0; e < d; e++) {
                            int qi = q.offset(n, h, i, e), kj = k.offset(n, h, j, e);
                            dv[kj] += p[j] * dout.data[qi];
                            sv[kj] += p[j] * Math.abs(dout.data[qi]);
                            dq[qi] += ds * k.data[kj];
                            sq[qi] += dsAbs * Math.abs(k.data[kj]);
                            dk[kj] += ds * q.data[qi];
                            sk[kj] += dsAbs * Math.abs(q.data[qi]);
                        }
                    }
                }
            }
        }
        return new Grads(dq, dk, dv, sq, sk, sv);
    }

    private static double maskAt(HostTensor mask, int n, int h, int i, int j) {
        int[] full = {n, h, i, j};
        int[] idx = new int[mask.rank()];
        for (int a = 0; a < mask.rank(); a++) idx[a] = mask.shape[a] == 1 ? 0 : full[a + 4 - mask.rank()];
        return mask.get(idx);
    }

    /** out = P v cancels over keys: its scale is P |v|. */
    private static double[] outScale(HostTensor q, HostTensor k, HostTensor v, HostTensor mask, boolean causal, double scale) {
        HostTensor absV = new HostTensor(Arrays.stream(v.data).map(Math::abs).toArray(), v.shape);
        return AttentionReference.forward(q, k, absV, mask, causal, scale).out().data;
    }

    private void check(int bn, int heads, int tq, int tk, int d, boolean causal, int[] maskShape, boolean deadRows) {
        double scale = 1 / Math.sqrt(d);
        float[] qs = random(bn * heads * tq * d), ks = random(bn * heads * tk * d), vs = random(bn * heads * tk * d);
        float[] gs = random(bn * heads * tq * d);
        float[] ms = null;
        if (maskShape != null) {
            int count = Arrays.stream(maskShape).reduce(1, (a, b) -> a * b);
            ms = random(count);
            for (int i = 0; i < count; i++) if (rnd.nextInt(4) == 0) ms[i] = Float.NEGATIVE_INFINITY;
            if (deadRows) {
                // drop every key of the mask's first row (one query row, or every row when the mask repeats over queries)
                int tkExtent = maskShape[maskShape.length - 1];
                for (int j = 0; j < tkExtent; j++) ms[j] = Float.NEGATIVE_INFINITY;
            }
        }
        HostTensor q = host(qs, bn, heads, tq, d), k = host(ks, bn, heads, tk, d), v = host(vs, bn, heads, tk, d);
        HostTensor g = host(gs, bn, heads, tq, d), mask = ms == null ? null : host(ms, maskShape);
        AttentionReference.Result ref = AttentionReference.forward(q, k, v, mask, causal, scale);
        Grads grads = gradients(q, k, v, mask, causal, scale, g);
        String what = "attention N " + bn + " H " + heads + " Tq " + tq + " Tk " + tk + " D " + d + " causal " + causal
                + " mask " + Arrays.toString(maskShape) + seedNote();
        try (Tensor qt = device.fromArray(qs, q.shape); Tensor kt = device.fromArray(ks, k.shape);
             Tensor vt = device.fromArray(vs, v.shape); Tensor gt = device.fromArray(gs, g.shape);
             Tensor mt = ms == null ? null : device.fromArray(ms, maskShape);
             AttentionResult r = fast.attention(qt, kt, vt, mt, causal, scale);
             AttentionGrads gr = fast.attentionBackward(gt, qt, kt, vt, mt, causal, scale, r)) {
            Compare.closeToScale(what + " out", ref.out().data, outScale(q, k, v, mask, causal, scale),
                    toDouble(r.out().toFloatArray()), 2e-6);
            double[] lse = toDouble(r.logSumExp().toFloatArray());
            for (int i = 0; i < lse.length; i++) {
                double e = ref.logSumExp().data[i];
                assertTrue(e == Double.POSITIVE_INFINITY ? lse[i] == e : Math.abs(lse[i] - e) <= 2e-6 * (1 + Math.abs(e)),
                        what + " lse " + i + " is " + lse[i] + ", expected " + e);
            }
            Compare.closeToScale(what + " dq", grads.dq(), grads.dqScale(), toDouble(gr.q().toFloatArray()), 1e-5);
            Compare.closeToScale(what + " dk", grads.dk(), grads.dkScale(), toDouble(gr.k().toFloatArray()), 1e-5);
            Compare.closeToScale(what + " dv", grads.dv(), grads.dvScale(), toDouble(gr.v().toFloatArray()), 1e-5);
        }
    }

    @Test
    void matchesFloat64AcrossSizes() {
        for (int[] c : new int[][] {{1, 1, 1, 1, 1}, {2, 3, 7, 7, 16}, {1, 2, 65, 33, 64}, {1, 1, 33, 129, 100}, {2, 1, 129, 65, 3}}) {
            for (boolean causal : new boolean[] {false, true}) check(c[0], c[1], c[2], c[3], c[4], causal, null, false);
        }
    }

    @Test
    void largeHeadSize() {
        check(1, 2, 19, 37, 256, true, null, false);
    }

    @Test
    void masksBroadcastInEveryWay() {
        int bn = 2, heads = 3, tq = 9, tk = 13;
        for (int[] maskShape : new int[][] {{tq, tk}, {bn, 1, 1, tk}, {1, heads, tq, tk}, {bn, heads, tq, tk}, {tk}}) {
            check(bn, heads, tq, tk, 8, false, maskShape, false);
            check(bn, heads, tq, tk, 8, true, maskShape, true);
        }
    }

    @Test
    void rowsWithEveryKeyDroppedGiveZeros() {
        check(1, 2, 5, 6, 4, false, new int[] {5, 6}, true);
        check(2, 1, 7, 3, 4, false, new int[] {1, 3}, true);   // every query of every head dropped
    }

    /** Either side's backward reads the other's forward: the log-sum-exp conventions agree (+inf for a dead row). */
    @Test
    void interchangesWithTheComposite() {
        int d = 8;
        float[] ms = random(11 * 11);
        for (int j = 0; j < 11; j++) ms[j] = Float.NEGATIVE_INFINITY;
        try (Tensor q = device.fromArray(random(2 * 2 * 11 * d), 2, 2, 11, d); Tensor k = device.fromArray(random(2 * 2 * 11 * d), 2, 2, 11, d);
             Tensor v = device.fromArray(random(2 * 2 * 11 * d), 2, 2, 11, d); Tensor g = device.fromArray(random(2 * 2 * 11 * d), 2, 2, 11, d);
             Tensor mask = device.fromArray(ms, 11, 11);
             AttentionResult mine = fast.attention(q, k, v, mask, true, 0.3);
             AttentionResult theirs = FastPaths.COMPOSITE.attention(q, k, v, mask, true, 0.3);
             AttentionGrads a = fast.attentionBackward(g, q, k, v, mask, true, 0.3, theirs);
             AttentionGrads b = FastPaths.COMPOSITE.attentionBackward(g, q, k, v, mask, true, 0.3, mine);
             AttentionGrads ref = FastPaths.COMPOSITE.attentionBackward(g, q, k, v, mask, true, 0.3, theirs)) {
            Compare.close("lse against the composite's" + seedNote(), toDouble(theirs.logSumExp().toFloatArray()),
                    toDouble(mine.logSumExp().toFloatArray()), 1e-5);
            for (AttentionGrads x : new AttentionGrads[] {a, b}) {
                String who = (x == a ? "opencl backward of the composite forward" : "composite backward of the opencl forward") + seedNote();
                Compare.close(who + " dq", toDouble(ref.q().toFloatArray()), toDouble(x.q().toFloatArray()), 1e-4);
                Compare.close(who + " dk", toDouble(ref.k().toFloatArray()), toDouble(x.k().toFloatArray()), 1e-4);
                Compare.close(who + " dv", toDouble(ref.v().toFloatArray()), toDouble(x.v().toFloatArray()), 1e-4);
            }
        }
    }

    @Test
    void nanPropagatesToItsRowAndRepeatedCallsGiveTheSameBits() {
        float[] qs = random(1 * 1 * 6 * 4);
        qs[2 * 4 + 1] = Float.NaN;   // query 2
        try (Tensor q = device.fromArray(qs, 1, 1, 6, 4); Tensor k = device.fromArray(random(24), 1, 1, 6, 4);
             Tensor v = device.fromArray(random(24), 1, 1, 6, 4); AttentionResult r = fast.attention(q, k, v, null, false, 0.5);
             AttentionResult again = fast.attention(q, k, v, null, false, 0.5)) {
            float[] out = r.out().toFloatArray();
            for (int i = 0; i < out.length; i++) {
                assertEquals(i / 4 == 2, Float.isNaN(out[i]), "element " + i + " is " + out[i] + seedNote());
            }
            assertTrue(Arrays.equals(out, again.out().toFloatArray()), "the same bits on a second call");
        }
    }
}
