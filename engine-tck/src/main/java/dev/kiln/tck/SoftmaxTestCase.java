package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DTypeException;
import dev.kiln.Functional;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.CentralDifference;
import dev.kiln.tck.ref.SoftmaxReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Softmax and log-softmax, forward and backward, on ranks 1 to 4 along every axis, with large and -inf logits. */
public abstract class SoftmaxTestCase extends KilnTestCase {

    static Stream<Arguments> shapesAndAxes() {
        int[][] shapes = {{1}, {7}, {3, 5}, {1, 9}, {2, 3, 5}, {2, 1, 3, 4}, {3, 2, 1, 5}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) for (int axis = 0; axis < s.length; axis++) out.add(Arguments.of(s, axis));
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("shapesAndAxes")
    void softmaxMatchesReference(int[] shape, int axis) {
        HostTensor x = randn(shape).map(v -> 3 * v);
        Tensor y = track(Functional.softmax(upload(x), axis));
        assertClose("softmax " + Arrays.toString(shape) + " axis " + axis, SoftmaxReference.softmax(x, axis), y);
    }

    @ParameterizedTest
    @MethodSource("shapesAndAxes")
    void logSoftmaxMatchesReference(int[] shape, int axis) {
        HostTensor x = randn(shape).map(v -> 3 * v);
        Tensor y = track(Functional.logSoftmax(upload(x), axis));
        assertClose("logSoftmax " + Arrays.toString(shape) + " axis " + axis, SoftmaxReference.logSoftmax(x, axis), y);
    }

    @ParameterizedTest
    @MethodSource("shapesAndAxes")
    void softmaxBackwardMatchesFiniteDifferences(int[] shape, int axis) {
        HostTensor x = randn(shape), g = randn(shape);
        Tensor out = track(Functional.softmax(upload(x), axis));
        Tensor dx = track(Functional.softmaxBackward(upload(g), out, axis));
        double[] expected = CentralDifference.gradient(v -> SoftmaxReference.softmax(new HostTensor(v, shape), axis).data, x.data, g.data);
        assertCloseToTermScale("softmaxBackward " + Arrays.toString(shape) + " axis " + axis, new HostTensor(expected, shape),
                backwardTermScale(x, g, axis, false), dx);
    }

    @ParameterizedTest
    @MethodSource("shapesAndAxes")
    void logSoftmaxBackwardMatchesFiniteDifferences(int[] shape, int axis) {
        HostTensor x = randn(shape), g = randn(shape);
        Tensor out = track(Functional.logSoftmax(upload(x), axis));
        Tensor dx = track(Functional.logSoftmaxBackward(upload(g), out, axis));
        double[] expected = CentralDifference.gradient(v -> SoftmaxReference.logSoftmax(new HostTensor(v, shape), axis).data, x.data, g.data);
        assertCloseToTermScale("logSoftmaxBackward " + Arrays.toString(shape) + " axis " + axis, new HostTensor(expected, shape),
                backwardTermScale(x, g, axis, true), dx);
    }

    /**
     * The backward formulas over absolute values: softmax's dx = y (g - sum(g y)) and logSoftmax's
     * dx = g - softmax(x) sum(g) both sum to zero along the axis (they cancel), so float32 is accurate
     * relative to these terms, not to the results.
     */
    private static HostTensor backwardTermScale(HostTensor x, HostTensor g, int axis, boolean log) {
        HostTensor p = SoftmaxReference.softmax(x, axis);
        int a = axis < 0 ? axis + x.rank() : axis;
        int extent = x.shape[a], stride = x.strides()[a];
        HostTensor scale = HostTensor.zeros(x.shape);
        for (int start = 0; start < x.numel(); start++) {
            if ((start / stride) % extent != 0) continue;   // one pass per line along the axis, from its first element
            double rowSum = 0;
            for (int j = 0; j < extent; j++) {
                int i = start + j * stride;
                rowSum += log ? Math.abs(g.data[i]) : Math.abs(g.data[i] * p.data[i]);
            }
            for (int j = 0; j < extent; j++) {
                int i = start + j * stride;
                scale.data[i] = log ? Math.abs(g.data[i]) + p.data[i] * rowSum : p.data[i] * (Math.abs(g.data[i]) + rowSum);
            }
        }
        return scale;
    }

    @Test
    void negativeAxisCountsFromTheEnd() {
        HostTensor x = randn(3, 4, 5);
        Tensor y = track(Functional.softmax(upload(x), -2));
        assertClose("softmax axis -2", SoftmaxReference.softmax(x, 1), y);
    }

    /** Rows around 1e4 and spread by 1e4 overflow exp() unless the maximum is subtracted; -inf entries get 0. */
    @Test
    void largeLogitsAndMinusInfinityStayFinite() {
        HostTensor x = randn(6, 9);
        for (int j = 0; j < 9; j++) {
            x.set((float) (1e4 + x.get(0, j)), 0, j);  // rounded to float32: the device sees exactly these
            x.set((float) (1e4 * x.get(1, j)), 1, j);
            x.set((float) (-1e4 + x.get(2, j)), 2, j);
        }
        x.set(Double.NEGATIVE_INFINITY, 3, 2);
        x.set(Double.NEGATIVE_INFINITY, 3, 7);
        for (int j = 0; j < 9; j++) if (j != 4) x.set(Double.NEGATIVE_INFINITY, 4, j);
        x.set(Double.NEGATIVE_INFINITY, 5, 0);
        x.set((float) 1e4, 5, 1);
        Tensor in = upload(x);
        assertClose("softmax of large and -inf logits", SoftmaxReference.softmax(x, 1), track(Functional.softmax(in, 1)));
        assertClose("logSoftmax of large and -inf logits", SoftmaxReference.logSoftmax(x, 1), track(Functional.logSoftmax(in, 1)));
    }

    /** As PyTorch: a row of only -inf has no defined distribution and gives NaN. */
    @Test
    void rowOfOnlyMinusInfinityGivesNaN() {
        HostTensor x = randn(2, 5);
        for (int j = 0; j < 5; j++) x.set(Double.NEGATIVE_INFINITY, 1, j);
        float[] y = track(Functional.softmax(upload(x), 1)).toFloatArray();
        for (int j = 0; j < 5; j++) {
            assertTrue(Float.isFinite(y[j]), "finite row stays finite (" + seedNote() + ")");
            assertTrue(Float.isNaN(y[5 + j]), "all -inf row gives NaN, got " + y[5 + j] + " (" + seedNote() + ")");
        }
    }

    /** The gradient through -inf entries is 0 for softmax and g for log-softmax (d logp_j / dx_j = 1 - p_j = 1). */
    @Test
    void backwardThroughMinusInfinityEntries() {
        int[] shape = {3, 6};
        HostTensor x = randn(shape), g = randn(shape);
        x.set(Double.NEGATIVE_INFINITY, 0, 1);
        x.set(Double.NEGATIVE_INFINITY, 2, 5);
        x.set(Double.NEGATIVE_INFINITY, 2, 0);
        Tensor in = upload(x), gradOut = upload(g);
        for (boolean log : new boolean[] {false, true}) {
            Tensor out = track(log ? Functional.logSoftmax(in, 1) : Functional.softmax(in, 1));
            Tensor dx = track(log ? Functional.logSoftmaxBackward(gradOut, out, 1) : Functional.softmaxBackward(gradOut, out, 1));
            double[] expected = finiteOnlyGradient(x, g, log);
            assertClose((log ? "logSoftmax" : "softmax") + "Backward with -inf inputs", new HostTensor(expected, shape), dx);
        }
    }

    /** Finite differences over the finite entries; the -inf entries take their analytic limit. */
    private static double[] finiteOnlyGradient(HostTensor x, HostTensor g, boolean log) {
        double[] expected = new double[x.numel()];
        double[] finite = x.data.clone();
        int[] where = java.util.stream.IntStream.range(0, x.numel()).filter(i -> Double.isFinite(x.data[i])).toArray();
        double[] free = Arrays.stream(where).mapToDouble(i -> x.data[i]).toArray();
        double[] fd = CentralDifference.gradient(v -> {
            double[] full = finite.clone();
            for (int i = 0; i < where.length; i++) full[where[i]] = v[i];
            HostTensor h = new HostTensor(full, x.shape);
            double[] y = (log ? SoftmaxReference.logSoftmax(h, 1) : SoftmaxReference.softmax(h, 1)).data.clone();
            int cols = x.shape[1];
            for (int i = 0; i < y.length; i++) {
                if (Double.isFinite(x.data[i])) continue;
                // softmax gives the constant 0 there; log-softmax gives -inf - lse, whose finite part -lse still depends on the row
                int k = (i / cols) * cols;
                while (!Double.isFinite(x.data[k])) k++;
                y[i] = log ? y[k] - full[k] : 0;
            }
            return y;
        }, free, g.data);
        for (int i = 0; i < where.length; i++) expected[where[i]] = fd[i];
        for (int i = 0; i < x.numel(); i++) if (!Double.isFinite(x.data[i])) expected[i] = log ? g.data[i] : 0;
        return expected;
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor ints = track(device().arange(6));
        assertTrue(assertThrows(DTypeException.class, () -> Functional.softmax(ints, 0)).getMessage().contains("softmax"));
        Tensor a = upload(randn(2, 3)), b = upload(randn(3, 2));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.softmaxBackward(a, b, 1)).getMessage().contains("softmaxBackward"));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.logSoftmaxBackward(a, b, 1)).getMessage().contains("logSoftmaxBackward"));
        assertThrows(ShapeException.class, () -> Functional.softmax(a, 2));
    }
}
