package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Functional;
import dev.kiln.KilnException;
import dev.kiln.Reduction;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.CentralDifference;
import dev.kiln.tck.ref.LossReference;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross-entropy as torch.nn.functional.cross_entropy: reductions NONE, SUM, MEAN (over the targets
 * not ignored), ignore_index, label smoothing 0.1; a batch whose every target is ignored gives NaN
 * under MEAN (PyTorch's 0 / 0), 0 under SUM, and a zero gradient.
 */
public abstract class CrossEntropyTestCase extends KilnTestCase {
    private static final int IGNORE = -100;

    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1}, {1, 5}, {7, 5}, {6, 13}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : sizes) {
            for (Reduction r : Reduction.values()) {
                for (double smoothing : new double[] {0, 0.1}) {
                    out.add(Arguments.of(s[0], s[1], r, smoothing, false));
                    if (s[0] > 1) out.add(Arguments.of(s[0], s[1], r, smoothing, true));
                }
            }
        }
        return out.stream();
    }

    /** Random classes; with {@code ignoring}, every third row (and at least one) takes the ignore index, one row stays valid. */
    private long[] targets(int n, int c, boolean ignoring, int ignoreIndex) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(c);
        if (ignoring) for (int i = 1; i < n; i += 3) t[i] = ignoreIndex;
        return t;
    }

    private Tensor upload(long[] t) { return track(device().fromArray(t, t.length)); }

    private static String name(String op, int n, int c, Reduction r, double s, boolean ignoring) {
        return op + " [" + n + ", " + c + "] " + r + " smoothing " + s + (ignoring ? " with ignored targets" : "");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(int n, int c, Reduction reduction, double smoothing, boolean ignoring) {
        HostTensor logits = randn(n, c).map(v -> 2 * v);
        long[] target = targets(n, c, ignoring, IGNORE);
        Tensor loss = track(Functional.crossEntropy(upload(logits), upload(target), IGNORE, smoothing, reduction));
        assertClose(name("crossEntropy", n, c, reduction, smoothing, ignoring),
                LossReference.crossEntropy(logits, target, IGNORE, smoothing, reduction), loss);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(int n, int c, Reduction reduction, double smoothing, boolean ignoring) {
        HostTensor logits = randn(n, c);
        long[] target = targets(n, c, ignoring, IGNORE);
        HostTensor gradLoss = reduction == Reduction.NONE ? randn(n) : randn();
        Tensor dx = track(Functional.crossEntropyBackward(upload(gradLoss), upload(logits), upload(target), IGNORE, smoothing, reduction));
        double[] expected = CentralDifference.gradient(
                v -> LossReference.crossEntropy(new HostTensor(v, n, c), target, IGNORE, smoothing, reduction).data, logits.data, gradLoss.data);
        assertClose(name("crossEntropyBackward", n, c, reduction, smoothing, ignoring), new HostTensor(expected, n, c), dx);
    }

    /** A non-negative ignore index that is also a real class: the rows with that class drop out. */
    @Test
    void ignoreIndexCanBeAClass() {
        HostTensor logits = randn(9, 4);
        long[] target = {0, 1, 2, 3, 2, 2, 1, 0, 3};
        Tensor loss = track(Functional.crossEntropy(upload(logits), upload(target), 2, 0.1, Reduction.MEAN));
        assertClose("crossEntropy ignoring class 2", LossReference.crossEntropy(logits, target, 2, 0.1, Reduction.MEAN), loss);
    }

    @Test
    void allTargetsIgnored() {
        HostTensor logits = randn(4, 3);
        long[] target = {IGNORE, IGNORE, IGNORE, IGNORE};
        Tensor x = upload(logits), t = upload(target);
        assertTrue(Double.isNaN(track(Functional.crossEntropy(x, t, IGNORE, 0.1, Reduction.MEAN)).item()),
                "MEAN over no targets is NaN, as PyTorch (" + seedNote() + ")");
        assertExact("SUM over no targets", new double[] {0}, track(Functional.crossEntropy(x, t, IGNORE, 0.1, Reduction.SUM)));
        assertExact("NONE with every target ignored", new double[4], track(Functional.crossEntropy(x, t, IGNORE, 0, Reduction.NONE)));
        Tensor one = track(device().scalar(1));
        assertExact("gradient with every target ignored", new double[12],
                track(Functional.crossEntropyBackward(one, x, t, IGNORE, 0.1, Reduction.MEAN)));
    }

    /** Large logits must not overflow; the log-softmax inside subtracts the row maximum. */
    @Test
    void largeLogitsStayFinite() {
        HostTensor logits = randn(5, 6).map(v -> (float) (1e4 * v));
        long[] target = targets(5, 6, false, IGNORE);
        Tensor loss = track(Functional.crossEntropy(upload(logits), upload(target), IGNORE, 0.1, Reduction.NONE));
        assertClose("crossEntropy of large logits", LossReference.crossEntropy(logits, target, IGNORE, 0.1, Reduction.NONE), loss);
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor logits = upload(randn(3, 4));
        Tensor floatTarget = upload(new HostTensor(new double[] {0, 1, 2}, 3));
        assertTrue(assertThrows(DTypeException.class, () -> Functional.crossEntropy(logits, floatTarget, IGNORE, 0, Reduction.MEAN))
                .getMessage().contains("crossEntropy"));
        Tensor shortTarget = upload(new long[] {0, 1});
        assertTrue(assertThrows(ShapeException.class, () -> Functional.crossEntropy(logits, shortTarget, IGNORE, 0, Reduction.MEAN))
                .getMessage().contains("crossEntropy"));
        Tensor target = upload(new long[] {0, 1, 2});
        assertTrue(assertThrows(KilnException.class, () -> Functional.crossEntropy(logits, target, IGNORE, 1.5, Reduction.MEAN))
                .getMessage().contains("labelSmoothing"));
        Tensor flat = upload(randn(4));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.crossEntropy(flat, target, IGNORE, 0, Reduction.MEAN))
                .getMessage().contains("crossEntropy"));
        Tensor vectorGrad = upload(randn(3));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.crossEntropyBackward(vectorGrad, logits, target, IGNORE, 0, Reduction.SUM))
                .getMessage().contains("crossEntropyBackward"));
        Tensor wrongDtype = track(device().zeros(DType.I64, 3));
        assertTrue(assertThrows(DTypeException.class, () -> Functional.crossEntropyBackward(wrongDtype, logits, target, IGNORE, 0, Reduction.NONE))
                .getMessage().contains("crossEntropyBackward"));
    }
}
