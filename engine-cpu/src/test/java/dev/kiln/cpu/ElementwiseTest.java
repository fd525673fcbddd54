package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.KilnException;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every unary, binary and ternary op on every dtype, through each internal path: contiguous runs of
 * lengths around the vector width (tails), lengths above the parallel threshold, a broadcast scalar,
 * a broadcast row (generic path), permuted (strided) operands, and in-place output; on both the
 * Vector API and the scalar kernels, against float64 references.
 */
class ElementwiseTest {
    static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};
    static final DType[] ALL = {DType.F32, DType.F16, DType.BF16, DType.I32, DType.I64};
    /** Contiguous lengths: 1, below/at/above the vector width and its multiples, odd, above the parallel threshold. */
    static final int[] LENGTHS = {1, 7, 8, 15, 16, 17, 33, 129, 1000, 40_001};

    @TestFactory
    Stream<DynamicTest> unaryContiguous() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (UnaryOp op : UnaryOp.values()) {
                for (DType t : ALL) {
                    if (!t.isFloating() && !op.acceptsIntegers()) continue;
                    for (int n : LENGTHS) {
                        if (n > 1000 && t != DType.F32 && t != DType.I64) continue;
                        tests.add(dynamicTest(label(be) + op + " " + t + " n=" + n, () -> unary(be, op, t, new int[] {n}, null, false)));
                    }
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> unaryStridedAndBroadcast() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (UnaryOp op : UnaryOp.values()) {
                for (DType t : ALL) {
                    if (!t.isFloating() && !op.acceptsIntegers()) continue;
                    tests.add(dynamicTest(label(be) + op + " " + t + " permuted input", () -> unary(be, op, t, new int[] {5, 7, 9}, new int[] {2, 0, 1}, false)));
                    tests.add(dynamicTest(label(be) + op + " " + t + " broadcast input", () -> unary(be, op, t, new int[] {6, 33}, null, true)));
                }
            }
        }
        return tests.stream();
    }

    private static String label(CpuBackend be) { return (be.vectorized() ? "vector " : "scalar ") ; }

    /** x laid out in memory order {@code order} (null: contiguous), or broadcast from its first row. */
    private static void unary(CpuBackend be, UnaryOp op, DType t, int[] shape, int[] order, boolean broadcastRows) {
        try (Fixture f = new Fixture(be)) {
            int n = (int) Fixture.numel(shape);
            double[] raw = Reference.domain(op, f, n);
            if (!t.isFloating()) for (int i = 0; i < n; i++) raw[i] = Math.rint(raw[i] * 10);
            if (broadcastRows) {
                int cols = shape[shape.length - 1];
                for (int i = cols; i < n; i++) raw[i] = raw[i % cols];
            }
            double[] in = Fixture.round(t, raw);
            View x;
            if (broadcastRows) {
                int cols = shape[shape.length - 1];
                double[] row = java.util.Arrays.copyOf(in, cols);
                x = f.tensor(t, row, 1, cols).broadcastTo(shape);
            } else if (order != null) {
                x = f.permutedTensor(t, in, shape, order);
            } else {
                x = f.tensor(t, in, shape);
            }
            View out = f.empty(t, shape);
            be.unary(op, x, out);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = Fixture.round(t, Reference.unary(op, in[i]));
            double[] got = f.read(out);
            if (t.isFloating()) f.assertClose(ref, got, Fixture.tol(t), "unary " + op + " " + t);
            else f.assertExact(ref, got, "unary " + op + " " + t);
        }
    }

    @TestFactory
    Stream<DynamicTest> binary() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (BinaryOp op : BinaryOp.values()) {
                for (DType t : ALL) {
                    if (!t.isFloating() && !op.acceptsIntegers()) continue;
                    for (Layout layout : Layout.values()) {
                        for (int n : layout == Layout.CONTIGUOUS || layout == Layout.SCALAR_A || layout == Layout.SCALAR_B ? LENGTHS : new int[] {0}) {
                            if (n > 1000 && t != DType.F32 && t != DType.I32) continue;
                            tests.add(dynamicTest(label(be) + op + " " + t + " " + layout + (n > 0 ? " n=" + n : ""),
                                    () -> binary(be, op, t, t.isFloating() && !op.isComparison() ? t : DType.F32, layout, n)));
                        }
                    }
                }
                tests.add(dynamicTest(label(be) + op + " F32 into I64 output", () -> binary(be, op, DType.F32, DType.I64, Layout.ROW_BROADCAST, 0)));
            }
        }
        return tests.stream();
    }

    enum Layout { CONTIGUOUS, SCALAR_A, SCALAR_B, ROW_BROADCAST, COLUMN_BROADCAST, PERMUTED, IN_PLACE }

    private static double[] operand(Fixture f, BinaryOp op, DType t, int n, boolean second) {
        double[] v;
        if (op.isComparison()) v = f.integers(n, -3, 4);
        else if (op == BinaryOp.POW) v = second ? f.uniform(n, -2, 2) : f.uniform(n, 0.3, 3);
        else if (!t.isFloating()) {
            v = f.integers(n, -50, 51);
            if (second && (op == BinaryOp.DIV || op == BinaryOp.MOD)) for (int i = 0; i < n; i++) if (v[i] == 0) v[i] = 7;
        } else if (second && (op == BinaryOp.DIV || op == BinaryOp.MOD)) {
            v = f.uniform(n, 0.5, 3);
            for (int i = 0; i < n; i += 2) v[i] = -v[i];
        } else {
            v = f.gaussian(n, 3);
        }
        return Fixture.round(t, v);
    }

    private static void binary(CpuBackend be, BinaryOp op, DType t, DType outType, Layout layout, int len) {
        try (Fixture f = new Fixture(be)) {
            int[] shape = switch (layout) {
                case CONTIGUOUS, SCALAR_A, SCALAR_B -> new int[] {len};
                case PERMUTED -> new int[] {4, 6, 9};
                default -> new int[] {13, 31};
            };
            int n = (int) Fixture.numel(shape);
            int rows = shape[0], cols = shape[shape.length - 1];
            double[] a = operand(f, op, t, n, false), b = operand(f, op, t, n, true);
            View av, bv;
            switch (layout) {
                case SCALAR_A -> { java.util.Arrays.fill(a, a[0]); av = f.tensor(t, new double[] {a[0]}, 1).broadcastTo(shape); bv = f.tensor(t, b, shape); }
                case SCALAR_B -> { java.util.Arrays.fill(b, b[0]); av = f.tensor(t, a, shape); bv = f.tensor(t, new double[] {b[0]}, 1).broadcastTo(shape); }
                case ROW_BROADCAST -> {
                    for (int i = cols; i < n; i++) b[i] = b[i % cols];
                    av = f.tensor(t, a, shape);
                    bv = f.tensor(t, java.util.Arrays.copyOf(b, cols), 1, cols).broadcastTo(shape);
                }
                case COLUMN_BROADCAST -> {
                    double[] col = new double[rows];
                    for (int r = 0; r < rows; r++) col[r] = a[r * cols];
                    for (int i = 0; i < n; i++) a[i] = col[i / cols];
                    av = f.tensor(t, col, rows, 1).broadcastTo(shape);
                    bv = f.tensor(t, b, shape);
                }
                case PERMUTED -> { av = f.permutedTensor(t, a, shape, new int[] {2, 1, 0}); bv = f.permutedTensor(t, b, shape, new int[] {1, 2, 0}); }
                default -> { av = f.tensor(t, a, shape); bv = f.tensor(t, b, shape); }
            }
            View out = layout == Layout.IN_PLACE && outType == t ? av : f.empty(outType, shape);
            be.binary(op, av, bv, out);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = Fixture.round(outType, Reference.binary(op, a[i], b[i], !t.isFloating()));
            double[] got = f.read(out);
            if (outType.isFloating() && !op.isComparison()) f.assertClose(ref, got, Fixture.tol(outType), "binary " + op + " " + t);
            else f.assertExact(ref, got, "binary " + op + " " + t + " -> " + outType);
        }
    }

    @Test
    void integerDivisionAndModuloFloor() {
        for (CpuBackend be : Fixture.backends()) {
            for (DType t : new DType[] {DType.I32, DType.I64}) {
                try (Fixture f = new Fixture(be)) {
                    View a = f.tensor(t, new double[] {7, -7, 7, -7, 0, 5}, 6), b = f.tensor(t, new double[] {2, 2, -2, -2, 3, 1}, 6);
                    View q = f.empty(t, 6), r = f.empty(t, 6);
                    be.binary(BinaryOp.DIV, a, b, q);
                    be.binary(BinaryOp.MOD, a, b, r);
                    f.assertExact(new double[] {3, -4, -4, 3, 0, 5}, f.read(q), "floor division");
                    f.assertExact(new double[] {1, 1, -1, -1, 0, 0}, f.read(r), "floor modulo");
                    View zero = f.tensor(t, new double[] {1, 0, 1, 1, 1, 1}, 6);
                    KilnException e = assertThrows(KilnException.class, () -> be.binary(BinaryOp.DIV, a, zero, q));
                    assertTrue(e.getMessage().contains("DIV"), e.getMessage());
                }
            }
        }
    }

    @Test
    void nanPropagatesThroughMaximumMinimumAndComparisons() {
        for (CpuBackend be : Fixture.backends()) {
            try (Fixture f = new Fixture(be)) {
                int n = 37;
                double[] a = f.gaussian(n, 1), b = f.gaussian(n, 1);
                for (int i = 0; i < n; i += 3) a[i] = Double.NaN;
                for (int i = 1; i < n; i += 5) b[i] = Double.NaN;
                a = Fixture.round(DType.F32, a);
                b = Fixture.round(DType.F32, b);
                View av = f.tensor(DType.F32, a, n), bv = f.tensor(DType.F32, b, n);
                for (BinaryOp op : new BinaryOp[] {BinaryOp.MAXIMUM, BinaryOp.MINIMUM, BinaryOp.NE, BinaryOp.EQ, BinaryOp.LT, BinaryOp.GE, BinaryOp.ADD}) {
                    View out = f.empty(DType.F32, n);
                    be.binary(op, av, bv, out);
                    double[] ref = new double[n];
                    for (int i = 0; i < n; i++) ref[i] = Fixture.round(DType.F32, Reference.binary(op, a[i], b[i], false));
                    f.assertExact(ref, f.read(out), "NaN " + op);
                }
                View out = f.empty(DType.F32, n);
                be.unary(UnaryOp.RELU, av, out);
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) ref[i] = Reference.unary(UnaryOp.RELU, a[i]);
                f.assertExact(ref, f.read(out), "NaN relu");
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> castsBetweenEveryDTypePair() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType from : ALL) {
            for (DType to : ALL) {
                tests.add(dynamicTest(from + " -> " + to, () -> {
                    try (Fixture f = new Fixture(Fixture.VECTOR)) {
                        int n = 45;
                        double[] v = f.uniform(n, -100, 100);
                        if (!from.isFloating()) v = f.integers(n, -100, 101);
                        double[] in = Fixture.round(from, v);
                        View x = f.permutedTensor(from, in, new int[] {5, 9}, new int[] {1, 0}), out = f.empty(to, 5, 9);
                        Fixture.VECTOR.unary(UnaryOp.COPY, x, out);
                        double[] ref = new double[n];
                        for (int i = 0; i < n; i++) ref[i] = Fixture.round(to, to.isFloating() ? in[i] : (double) (long) in[i]);
                        f.assertExact(ref, f.read(out), "cast " + from + " -> " + to);
                    }
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> ternary() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (DType t : ALL) {
                for (DType cond : new DType[] {DType.F32, DType.I32, DType.I64}) {
                    tests.add(dynamicTest(label(be) + "WHERE " + cond + " ? " + t, () -> where(be, cond, t, new int[] {17, 23})));
                }
                tests.add(dynamicTest(label(be) + "WHERE large " + t, () -> where(be, DType.I64, t, new int[] {300, 170})));
                tests.add(dynamicTest(label(be) + "CLAMP " + t, () -> clamp(be, t)));
            }
        }
        return tests.stream();
    }

    private static void where(CpuBackend be, DType condType, DType t, int[] shape) {
        try (Fixture f = new Fixture(be)) {
            int n = (int) Fixture.numel(shape), cols = shape[1];
            double[] c = f.integers(cols, -1, 2), a = Fixture.round(t, f.uniform(n, -40, 40)), b = Fixture.round(t, f.uniform(n, -40, 40));
            View cv = f.tensor(condType, c, 1, cols).broadcastTo(shape);
            View av = f.permutedTensor(t, a, shape, new int[] {1, 0}), bv = f.tensor(t, b, shape), out = f.empty(t, shape);
            be.ternary(TernaryOp.WHERE, cv, av, bv, out);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = c[i % cols] != 0 ? a[i] : b[i];
            f.assertExact(ref, f.read(out), "where");
        }
    }

    private static void clamp(CpuBackend be, DType t) {
        try (Fixture f = new Fixture(be)) {
            int n = 129;
            double[] x = Fixture.round(t, f.uniform(n, -20, 20));
            View xv = f.tensor(t, x, n), lo = f.tensor(t, new double[] {-5}, 1).broadcastTo(new int[] {n});
            View hi = f.tensor(t, new double[] {6}, 1).broadcastTo(new int[] {n}), out = f.empty(t, n);
            be.ternary(TernaryOp.CLAMP, xv, lo, hi, out);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = Math.min(Math.max(x[i], -5), 6);
            f.assertExact(ref, f.read(out), "clamp");
        }
    }

    @TestFactory
    Stream<DynamicTest> fillEveryDType() {
        return Stream.of(ALL).map(t -> dynamicTest("fill " + t, () -> {
            try (Fixture f = new Fixture(Fixture.VECTOR)) {
                View v = f.permuted(t, new int[] {3, 50, 7}, new int[] {2, 0, 1});
                Fixture.VECTOR.fill(v, -3);
                double[] ref = new double[3 * 50 * 7];
                java.util.Arrays.fill(ref, -3);
                f.assertExact(ref, f.read(v), "fill");
                View big = f.empty(t, 70_000);
                Fixture.VECTOR.fill(big, 2.5);
                double[] r2 = new double[70_000];
                java.util.Arrays.fill(r2, Fixture.round(t, 2.5));
                f.assertExact(r2, f.read(big), "fill large");
            }
        }));
    }

    @Test
    void rankEightAndRejectedInputs() {
        CpuBackend be = Fixture.VECTOR;
        try (Fixture f = new Fixture(be)) {
            int[] shape = {2, 1, 3, 2, 1, 2, 3, 2};
            int n = (int) Fixture.numel(shape);
            double[] a = Fixture.round(DType.F32, f.gaussian(n, 1)), b = Fixture.round(DType.F32, f.gaussian(n, 1));
            View av = f.permutedTensor(DType.F32, a, shape, new int[] {7, 6, 5, 4, 3, 2, 1, 0}), bv = f.tensor(DType.F32, b, shape);
            View out = f.empty(DType.F32, shape);
            be.binary(BinaryOp.SUB, av, bv, out);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = Fixture.round(DType.F32, a[i] - b[i]);
            f.assertExact(ref, f.read(out), "rank 8");

            View ints = f.tensor(DType.I32, new double[] {1, 2, 3}, 3), intOut = f.empty(DType.I32, 3);
            assertThrows(DTypeException.class, () -> be.unary(UnaryOp.EXP, ints, intOut));
            assertThrows(DTypeException.class, () -> be.binary(BinaryOp.POW, ints, ints, intOut));
            View floats = f.tensor(DType.F32, new double[] {1, 2, 3}, 3);
            assertThrows(DTypeException.class, () -> be.binary(BinaryOp.ADD, ints, floats, intOut));
            View four = f.empty(DType.F32, 4);
            KilnException e = assertThrows(KilnException.class, () -> be.binary(BinaryOp.ADD, floats, floats, four));
            assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[4]"), e.getMessage());
        }
    }
}
