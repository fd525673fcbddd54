package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.spi.View;
import dev.kiln.tck.ref.Reductions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * sum, prod, max, min, mean, var, argmax and argmin over single and multiple axes, negative axes,
 * all axes, with and without keepDim, on odd sizes; NaN propagation, first-index ties, and the
 * accuracy of long sums (a float32 running sum of a million values fails it).
 */
public abstract class ReductionTestCase extends KilnTestCase {

    public enum Op { SUM, PROD, MAX, MIN, MEAN, VAR }

    static final int[][] SHAPES = {{1}, {129}, {3, 5}, {1, 7}, {4, 1, 3}, {2, 3, 5, 7}, {2, 1, 3, 1, 2}};

    /** Every axis set worth trying on a shape: each single axis, positive and negative, pairs, and all (empty list). */
    static List<int[]> axisSets(int rank) {
        List<int[]> out = new ArrayList<>();
        out.add(new int[0]);
        for (int a = 0; a < rank; a++) {
            out.add(new int[] {a});
            out.add(new int[] {a - rank});
        }
        if (rank >= 2) {
            out.add(new int[] {0, rank - 1});
            out.add(new int[] {-1, 0});
        }
        if (rank >= 3) out.add(new int[] {2, 0, 1});
        return out;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Op op : Op.values()) {
            for (int[] s : SHAPES) {
                for (int[] axes : axisSets(s.length)) for (boolean keep : new boolean[] {false, true}) out.add(Arguments.of(op, s, axes, keep));
            }
        }
        return out.stream();
    }

    private static Tensor call(Op op, Tensor x, int[] axes, boolean keep) {
        return switch (op) {
            case SUM -> x.sum(axes, keep);
            case PROD -> x.prod(axes, keep);
            case MAX -> x.max(axes, keep);
            case MIN -> x.min(axes, keep);
            case MEAN -> x.mean(axes, keep);
            case VAR -> x.var(axes, 1, keep);
        };
    }

    private static HostTensor ref(Op op, HostTensor x, int[] axes, boolean keep) {
        return Reductions.reduce(x, axes, keep, switch (op) {
            case SUM -> Reductions::sum;
            case PROD -> Reductions::prod;
            case MAX -> Reductions::max;
            case MIN -> Reductions::min;
            case MEAN -> Reductions::mean;
            case VAR -> g -> Reductions.var(g, 1);
        });
    }

    @ParameterizedTest(name = "{0} {1} axes {2} keepDim {3}")
    @MethodSource("cases")
    void reduceF32(Op op, int[] shape, int[] axes, boolean keep) {
        // products of values near 1 stay in range; var of one element is NaN in torch too, so it is skipped by the reference
        HostTensor x = op == Op.PROD ? HostTensor.uniform(rnd, 0.5, 1.5, shape).map(v -> rnd.nextBoolean() ? v : -v) : randn(shape);
        HostTensor expected = ref(op, x, axes, keep);
        Tensor r = track(call(op, upload(x), axes, keep));
        String what = op + " " + Arrays.toString(shape) + " axes " + Arrays.toString(axes) + " keepDim " + keep;
        if (op == Op.SUM || op == Op.MEAN) {
            // sums may cancel to near zero: the error is measured against the sum of magnitudes
            assertEquals(Arrays.toString(expected.shape), r.shape().toString(), what + ": shape");
            ElementChecks.assertScaled(what, expected.data, ref(op, x.map(Math::abs), axes, keep).data, r.toFloatArray(), tolerance(), seedNote());
        } else {
            assertClose(what, expected, r);
        }
    }

    static Stream<Arguments> argCases() {
        List<Arguments> out = new ArrayList<>();
        for (boolean max : new boolean[] {true, false}) {
            for (int[] s : SHAPES) for (int a = -s.length; a < s.length; a++) for (boolean keep : new boolean[] {false, true}) out.add(Arguments.of(max, s, a, keep));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "argmax={0} {1} axis {2} keepDim {3}")
    @MethodSource("argCases")
    void argmaxAndArgmin(boolean max, int[] shape, int axis, boolean keep) {
        // few distinct values: ties are common and must resolve to the first index
        HostTensor x = HostTensor.randint(rnd, -3, 4, shape);
        HostTensor expected = Reductions.reduce(x, new int[] {axis}, keep, max ? Reductions::argmax : Reductions::argmin);
        Tensor t = upload(x);
        Tensor r = track(max ? t.argmax(axis, keep) : t.argmin(axis, keep));
        assertEquals(DType.I64, r.dtype());
        assertEquals(Arrays.toString(expected.shape), r.shape().toString());
        assertExact((max ? "argmax" : "argmin") + " " + Arrays.toString(shape) + " axis " + axis, expected.data, r);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"I32", "I64"})
    void integerReductionsAreExact(DType dtype) {
        HostTensor x = HostTensor.randint(rnd, -1000, 1000, 3, 129);
        Tensor t = track(x.to(device(), dtype));
        for (int[] axes : new int[][] {{}, {0}, {1}, {-1}}) {
            String at = dtype + " axes " + Arrays.toString(axes);
            Tensor s = track(t.sum(axes, false));
            assertEquals(dtype, s.dtype(), "sum keeps " + dtype);
            assertExact("sum " + at, Reductions.reduce(x, axes, false, Reductions::sum).data, s);
            assertExact("max " + at, Reductions.reduce(x, axes, false, Reductions::max).data, track(t.max(axes, false)));
            assertExact("min " + at, Reductions.reduce(x, axes, false, Reductions::min).data, track(t.min(axes, false)));
        }
        assertExact("argmax " + dtype, Reductions.reduce(x, new int[] {1}, false, Reductions::argmax).data, track(t.argmax(1)));
        HostTensor small = HostTensor.randint(rnd, -3, 4, 4, 9);
        assertExact("prod " + dtype, Reductions.reduce(small, new int[] {1}, false, Reductions::prod).data,
                track(track(small.to(device(), dtype)).prod(new int[] {1}, false)));
    }

    /** The reduce primitive reads any strides: a transposed view of x reduces as the transpose. */
    @Test
    void primitiveReducesAStridedView() {
        HostTensor x = randn(4, 6);
        Tensor dx = upload(x);
        View v = dx.view().permute(1, 0);                     // [6, 4], strides [1, 6]
        for (dev.kiln.spi.ReduceOp op : new dev.kiln.spi.ReduceOp[] {dev.kiln.spi.ReduceOp.SUM, dev.kiln.spi.ReduceOp.MAX}) {
            Tensor out = track(device().zeros(6, 1));
            device().backend().reduce(op, v, out.view());
            HostTensor xt = dev.kiln.tck.ref.Layout.permute(x, 1, 0);
            HostTensor ref = Reductions.reduce(xt, new int[] {1}, true, op == dev.kiln.spi.ReduceOp.SUM ? Reductions::sum : Reductions::max);
            HostTensor mag = Reductions.reduce(xt.map(Math::abs), new int[] {1}, true, Reductions::sum);
            ElementChecks.assertScaled(op + " of a transposed view", ref.data, mag.data, out.toFloatArray(), tolerance(), seedNote());
        }
        Tensor idx = track(device().zeros(DType.I64, 1, 4));
        device().backend().reduce(dev.kiln.spi.ReduceOp.ARGMAX, v, idx.view());
        assertExact("argmax down the columns of a transposed view", Reductions.reduce(x, new int[] {1}, false, Reductions::argmax).data, idx);
    }

    @Test
    void i64SumExceedsThirtyTwoBits() {
        long[] v = new long[7];
        Arrays.fill(v, 1L << 40);
        Tensor r = track(track(device().fromArray(v, 7)).sum());
        assertEquals(7L << 40, r.toLongArray()[0]);
    }

    @Test
    void maxAndMinPropagateNaN() {
        HostTensor x = randn(4, 7);
        x.set(Double.NaN, 1, 3);
        x.set(Double.NaN, 2, 0);
        x.set(Double.NaN, 2, 5);
        Tensor t = upload(x);
        for (int axis : new int[] {0, 1}) {
            assertClose("max axis " + axis, Reductions.reduce(x, new int[] {axis}, false, Reductions::max), track(t.max(axis)));
            assertClose("min axis " + axis, Reductions.reduce(x, new int[] {axis}, false, Reductions::min), track(t.min(new int[] {axis}, false)));
            assertExact("argmax picks the first NaN, axis " + axis, Reductions.reduce(x, new int[] {axis}, false, Reductions::argmax).data,
                    track(t.argmax(axis)));
            assertExact("argmin picks the first NaN, axis " + axis, Reductions.reduce(x, new int[] {axis}, false, Reductions::argmin).data,
                    track(t.argmin(axis, false)));
        }
        assertTrue(Double.isNaN(track(t.max()).item()), "max of all with a NaN");
        assertTrue(Double.isNaN(track(t.sum()).item()), "sum with a NaN");
    }

    @Test
    void maxOfInfinitiesAndTies() {
        HostTensor x = new HostTensor(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 2, 2, 2, Double.POSITIVE_INFINITY,
                Double.POSITIVE_INFINITY, 1}, 2, 4);
        Tensor t = upload(x);
        assertExact("max", new double[] {2, Double.POSITIVE_INFINITY}, track(t.max(1)));
        assertExact("argmax ties", new double[] {2, 1}, track(t.argmax(1)));
        assertExact("argmin ties", new double[] {0, 3}, track(t.argmin(1, false)));
        assertExact("argmax over rows", new double[] {1, 1, 1, 0}, track(t.argmax(0)));
    }

    /**
     * A million positive values spread over six orders of magnitude: a float32 running sum loses
     * about 1e-4 of the total; pairwise or double accumulation keeps the float32 rounding of the result.
     */
    @Test
    void longSumsKeepFloat32Accuracy() {
        int n = 1_000_000;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(7) - 3));
        HostTensor x = new HostTensor(v, n);
        Tensor t = upload(x);
        double exact = Reductions.sum(v);
        double got = track(t.sum()).item();
        assertTrue(Math.abs(got - exact) <= 1e-5 * exact, "sum of 1e6 values: " + got + ", float64 reference " + exact + " (" + seedNote() + ")");
        double mean = track(t.mean()).item();
        assertTrue(Math.abs(mean - exact / n) <= 1e-5 * exact / n, "mean of 1e6 values: " + mean + " vs " + exact / n + " (" + seedNote() + ")");
        // per-row sums over long rows, with cancellation-free positive data
        Tensor rows = track(t.reshape(1000, 1000));
        assertClose("row sums of 1000 x 1000", Reductions.reduce(new HostTensor(v, 1000, 1000), new int[] {1}, false, Reductions::sum), track(rows.sum(1)));
        assertClose("column sums of 1000 x 1000", Reductions.reduce(new HostTensor(v, 1000, 1000), new int[] {0}, false, Reductions::sum), track(rows.sum(0)));
    }

    @Test
    void varianceWithCorrections() {
        HostTensor x = randn(5, 129);
        Tensor t = upload(x);
        for (int c : new int[] {0, 1}) {
            assertClose("var correction " + c, Reductions.reduce(x, new int[] {1}, false, g -> Reductions.var(g, c)), track(t.var(new int[] {1}, c, false)));
        }
        // a large common offset: the two-pass definition stays accurate where E[x^2] - E[x]^2 would not
        HostTensor shifted = x.map(v -> (float) (v + 1000));
        assertClose("var of values offset by 1000", Reductions.reduce(shifted, new int[] {1}, false, g -> Reductions.var(g, 1)),
                track(upload(shifted).var(new int[] {1}, 1, false)), 1e-3);
    }

    @Test
    void reductionsOfEmptyAxes() {
        Tensor e = track(device().zeros(3, 0));
        Tensor s = track(e.sum(1));
        assertEquals("[3]", s.shape().toString());
        assertExact("sum over an empty axis", new double[] {0, 0, 0}, s);
        assertEquals("[0]", track(e.sum(0)).shape().toString());
        assertThrows(ShapeException.class, () -> track(e.max(1)));
        assertThrows(ShapeException.class, () -> track(e.argmax(1)));
    }

    @Test
    void reduceScalarTensor() {
        Tensor s = track(device().scalar(2.5));
        assertEquals(2.5, track(s.sum()).item());
        assertEquals(2.5, track(s.max()).item());
        assertEquals("[]", track(s.mean()).shape().toString());
    }

    @Test
    void repeatedOrOutOfRangeAxesAreRejected() {
        Tensor t = upload(randn(2, 3));
        assertThrows(ShapeException.class, () -> track(t.sum(0, 0)));
        assertThrows(ShapeException.class, () -> track(t.sum(2)));
        assertThrows(ShapeException.class, () -> track(t.sum(-3)));
        assertThrows(ShapeException.class, () -> track(t.argmax(5)));
    }
}
