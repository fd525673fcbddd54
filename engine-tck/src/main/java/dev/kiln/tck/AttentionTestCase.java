package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Functional;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.AttentionReference;
import dev.kiln.tck.ref.NumericGradient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scaled dot-product attention ({@link Functional#attention}, {@link Functional#attentionBackward}):
 * Tq != Tk, D = 1 and 8, causal (top-left aligned), additive and padding masks of every broadcast
 * rank, fully masked rows (zeros, log-sum-exp +inf, zero gradients), large logits. Forward against a
 * float64 reference; gradients of q, k and v against central differences of it.
 */
public abstract class AttentionTestCase extends KilnTestCase {

    /** How the mask of a case is made. */
    enum MaskKind {
        NONE,
        /** [N, 1, 1, Tk]: each batch entry drops its trailing keys (at least one key stays). */
        PADDING,
        /** [Tq, Tk]: finite random additive bias. */
        ADDITIVE,
        /** [Tk]: one bias per key, some keys -inf (never all). */
        PER_KEY,
        /** [N, H, Tq, Tk]: random bias with some -inf, and one row of batch 0, head 0 entirely -inf. */
        FULL_WITH_DEAD_ROW
    }

    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1, 1, 1}, {2, 3, 4, 7, 8}, {1, 2, 5, 3, 1}, {2, 1, 6, 6, 8}, {1, 1, 3, 9, 8}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : sizes) {
            for (MaskKind m : MaskKind.values()) {
                for (boolean causal : new boolean[] {false, true}) out.add(Arguments.of(s, m, causal));
            }
        }
        return out.stream();
    }

    private HostTensor mask(MaskKind kind, int n, int h, int tq, int tk) {
        return switch (kind) {
            case NONE -> null;
            case PADDING -> {
                HostTensor m = HostTensor.zeros(n, 1, 1, tk);
                for (int b = 0; b < n; b++) {
                    int valid = 1 + rnd.nextInt(tk);
                    for (int j = valid; j < tk; j++) m.set(Double.NEGATIVE_INFINITY, b, 0, 0, j);
                }
                yield m;
            }
            case ADDITIVE -> randn(tq, tk);
            case PER_KEY -> {
                HostTensor m = randn(tk);
                int kept = rnd.nextInt(tk);
                for (int j = 0; j < tk; j++) if (j != kept && rnd.nextBoolean()) m.data[j] = Double.NEGATIVE_INFINITY;
                yield m;
            }
            case FULL_WITH_DEAD_ROW -> {
                HostTensor m = randn(n, h, tq, tk);
                for (int i = 0; i < m.numel(); i++) if (rnd.nextInt(4) == 0) m.data[i] = Double.NEGATIVE_INFINITY;
                int dead = rnd.nextInt(tq);
                for (int j = 0; j < tk; j++) m.set(Double.NEGATIVE_INFINITY, 0, 0, dead, j);
                yield m;
            }
        };
    }

    private static String name(int[] s, MaskKind m, boolean causal) {
        return "attention N,H,Tq,Tk,D=" + Arrays.toString(s) + " mask " + m + (causal ? " causal" : "");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(int[] s, MaskKind kind, boolean causal) {
        HostTensor q = randn(s[0], s[1], s[2], s[4]), k = randn(s[0], s[1], s[3], s[4]), v = randn(s[0], s[1], s[3], s[4]);
        HostTensor mask = mask(kind, s[0], s[1], s[2], s[3]);
        double scale = 1 / Math.sqrt(s[4]);
        AttentionResult r = track(Functional.attention(upload(q), upload(k), upload(v), mask == null ? null : upload(mask), causal, scale));
        AttentionReference.Result ref = AttentionReference.forward(q, k, v, mask, causal, scale);
        assertClose(name(s, kind, causal) + " out", ref.out(), r.out());
        assertClose(name(s, kind, causal) + " logSumExp", ref.logSumExp(), r.logSumExp());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(int[] s, MaskKind kind, boolean causal) {
        HostTensor q = randn(s[0], s[1], s[2], s[4]), k = randn(s[0], s[1], s[3], s[4]), v = randn(s[0], s[1], s[3], s[4]);
        checkGradients(name(s, kind, causal), q, k, v, mask(kind, s[0], s[1], s[2], s[3]), causal, 1 / Math.sqrt(s[4]));
    }

    private void checkGradients(String what, HostTensor q, HostTensor k, HostTensor v, HostTensor mask, boolean causal, double scale) {
        HostTensor g = randn(q.shape);
        Tensor dq = upload(q), dk = upload(k), dv = upload(v), dm = mask == null ? null : upload(mask);
        AttentionResult fwd = track(Functional.attention(dq, dk, dv, dm, causal, scale));
        AttentionGrads grads = track(Functional.attentionBackward(upload(g), dq, dk, dv, dm, causal, scale, fwd));
        Supplier<double[]> f = () -> AttentionReference.forward(q, k, v, mask, causal, scale).out().data;
        HostTensor[] termScale = gradientTermScale(q, k, v, g, mask, causal, scale);
        assertCloseToTermScale(what + " grad q", new HostTensor(NumericGradient.of(f, q.data, g.data), q.shape), termScale[0], grads.q());
        assertCloseToTermScale(what + " grad k", new HostTensor(NumericGradient.of(f, k.data, g.data), k.shape), termScale[1], grads.k());
        assertCloseToTermScale(what + " grad v", new HostTensor(NumericGradient.of(f, v.data, g.data), v.shape), termScale[2], grads.v());
    }

    /**
     * The gradients' formulas evaluated over absolute values: dS = P * (dP - rowsum(dO * O)) cancels
     * exactly where a row's probability sits on one key (a mask that leaves one key, a peaked softmax),
     * and float32 is accurate relative to these terms, not to the cancelled result.
     */
    private static HostTensor[] gradientTermScale(HostTensor q, HostTensor k, HostTensor v, HostTensor g, HostTensor mask,
                                                  boolean causal, double scale) {
        int n = q.shape[0], h = q.shape[1], tq = q.shape[2], tk = k.shape[2], d = q.shape[3];
        HostTensor out = AttentionReference.forward(q, k, v, mask, causal, scale).out();
        HostTensor sq = HostTensor.zeros(q.shape), sk = HostTensor.zeros(k.shape), sv = HostTensor.zeros(v.shape);
        for (int b = 0; b < n; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < tq; i++) {
                    double[] p = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double sc = 0;
                        for (int e = 0; e < d; e++) sc += q.get(b, hh, i, e) * k.get(b, hh, j, e);
                        sc = scale * sc + (mask == null ? 0 : maskAt(mask, b, hh, i, j));
                        if (causal && j > i) sc = Double.NEGATIVE_INFINITY;
                        p[j] = sc;
                        max = Math.max(max, sc);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue;   // a dead row has no gradient at all
                    double sum = 0;
                    for (int j = 0; j < tk; j++) sum += p[j] = Math.exp(p[j] - max);
                    double rowAbs = 0;
                    for (int e = 0; e < d; e++) rowAbs += Math.abs(g.get(b, hh, i, e) * out.get(b, hh, i, e));
                    for (int j = 0; j < tk; j++) {
                        double pj = p[j] / sum, dpAbs = 0;
                        for (int e = 0; e < d; e++) dpAbs += Math.abs(g.get(b, hh, i, e) * v.get(b, hh, j, e));
                        double ds = pj * (dpAbs + rowAbs);
                        for (int e = 0; e < d; e++) {
                            sq.set(sq.get(b, hh, i, e) + scale * ds * Math.abs(k.get(b, hh, j, e)), b, hh, i, e);
                            sk.set(sk.get(b, hh, j, e) + scale * ds * Math.abs(q.get(b, hh, i, e)), b, hh, j, e);
                            sv.set(sv.get(b, hh, j, e) + pj * Math.abs(g.get(b, hh, i, e)), b, hh, j, e);
                        }
                    }
                }
            }
        }
        return new HostTensor[] {sq, sk, sv};
    }

    /** The mask's value at (b, h, i, j) under NumPy broadcasting of its shape to [N, H, Tq, Tk]. */
    private static double maskAt(HostTensor mask, int b, int h, int i, int j) {
        int[] full = {b, h, i, j};
        int r = mask.rank();
        int[] idx = new int[r];
        for (int a = 0; a < r; a++) idx[a] = mask.shape[a] == 1 ? 0 : full[4 - r + a];
        return mask.get(idx);
    }

    /** Every key of every row dropped at once (a padding mask of all -inf): zeros, +inf log-sum-exp, zero gradients. */
    @Test
    void fullyMaskedInputGivesZerosNotNaN() {
        HostTensor q = randn(2, 2, 3, 4), k = randn(2, 2, 5, 4), v = randn(2, 2, 5, 4), g = randn(2, 2, 3, 4);
        HostTensor mask = HostTensor.zeros(2, 1, 1, 5).map(x -> Double.NEGATIVE_INFINITY);
        Tensor dq = upload(q), dk = upload(k), dv = upload(v), dm = upload(mask);
        AttentionResult fwd = track(Functional.attention(dq, dk, dv, dm, false, 0.5));
        assertExact("out", new double[q.numel()], fwd.out());
        double[] inf = new double[12];
        Arrays.fill(inf, Double.POSITIVE_INFINITY);
        assertExact("logSumExp", inf, fwd.logSumExp());
        AttentionGrads grads = track(Functional.attentionBackward(upload(g), dq, dk, dv, dm, false, 0.5, fwd));
        assertExact("grad q", new double[q.numel()], grads.q());
        assertExact("grad k", new double[k.numel()], grads.k());
        assertExact("grad v", new double[v.numel()], grads.v());
    }

    /**
     * Scores in the hundreds overflow exp() in F32 unless each row's maximum is subtracted. Small
     * integer q and k with a power-of-two scale make the F32 scores exact, so only the softmax is tested.
     */
    @Test
    void largeLogitsStayFiniteAndAccurate() {
        HostTensor q = HostTensor.randint(rnd, -6, 7, 2, 2, 5, 8), k = HostTensor.randint(rnd, -6, 7, 2, 2, 7, 8);
        HostTensor v = randn(2, 2, 7, 8);
        for (boolean causal : new boolean[] {false, true}) {
            AttentionResult r = track(Functional.attention(upload(q), upload(k), upload(v), null, causal, 4.0));
            AttentionReference.Result ref = AttentionReference.forward(q, k, v, null, causal, 4.0);
            assertClose("large logits out" + (causal ? " causal" : ""), ref.out(), r.out());
            assertClose("large logits logSumExp" + (causal ? " causal" : ""), ref.logSumExp(), r.logSumExp());
        }
    }

    /** Scores above 100 (exp overflows F32 at 88) through a +100 bias on some keys; exact integer scores again. */
    @Test
    void largeLogitGradientsMatchFiniteDifferences() {
        HostTensor q = HostTensor.randint(rnd, -2, 3, 1, 2, 4, 8), k = HostTensor.randint(rnd, -2, 3, 1, 2, 6, 8);
        HostTensor mask = HostTensor.zeros(1, 1, 4, 6);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j += 2) mask.set(100, 0, 0, i, j);
        checkGradients("large logits", q, k, randn(1, 2, 6, 8), mask, false, 0.5);
    }

    // ---- argument checks ----

    private <E extends RuntimeException> void assertRejected(Class<E> type, String op, String detail, Runnable call) {
        E e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(op) && e.getMessage().contains(detail), "message should name " + op + " and " + detail + ": " + e.getMessage());
    }

    @Test
    void wrongRanksAndShapesAreRejected() {
        Tensor q3 = upload(randn(2, 3, 4)), k = upload(randn(1, 2, 5, 4)), v = upload(randn(1, 2, 5, 4)), q = upload(randn(1, 2, 3, 4));
        assertRejected(ShapeException.class, "attention", "[2, 3, 4]", () -> Functional.attention(q3, k, v, null, false, 1));
        Tensor v6 = upload(randn(1, 2, 6, 4));
        assertRejected(ShapeException.class, "attention", "[1, 2, 6, 4]", () -> Functional.attention(q, k, v6, null, false, 1));
        Tensor qD = upload(randn(1, 2, 3, 5));
        assertRejected(ShapeException.class, "attention", "[1, 2, 3, 5]", () -> Functional.attention(qD, k, v, null, false, 1));
        Tensor badMask = upload(randn(3, 4));  // scores are [1, 2, 3, 5]
        assertRejected(ShapeException.class, "attention", "mask", () -> Functional.attention(q, k, v, badMask, false, 1));
    }

    @Test
    void nonFloatInputIsRejected() {
        Tensor q = track(randn(1, 1, 2, 3).to(device(), DType.I64)), k = upload(randn(1, 1, 2, 3));
        assertRejected(DTypeException.class, "attention", "I64", () -> Functional.attention(q, k, k, null, false, 1));
    }

    @Test
    void wrongGradientShapeIsRejected() {
        Tensor q = upload(randn(1, 2, 3, 4)), k = upload(randn(1, 2, 5, 4));
        AttentionResult fwd = track(Functional.attention(q, k, k, null, true, 0.5));
        Tensor g = upload(randn(1, 2, 5, 4));
        assertRejected(ShapeException.class, "attentionBackward", "gradOut",
                () -> Functional.attentionBackward(g, q, k, k, null, true, 0.5, fwd));
    }
}
