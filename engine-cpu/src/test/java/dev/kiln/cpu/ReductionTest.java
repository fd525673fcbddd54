package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.kiln.DType;
import dev.kiln.KilnException;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Reductions over the last axis (vectorized run), the first axis, middle axes, all axes, permuted
 * inputs; many small outputs (parallel over outputs) and one huge block (split into partials);
 * every op and dtype; ties and NaN for ARGMAX/ARGMIN and MAX/MIN; SUM accuracy on a long input.
 */
class ReductionTest {
    record Case(String name, int[] shape, boolean[] reduced, int[] memoryOrder) {}

    static List<Case> cases() {
        return List.of(
                new Case("last axis", new int[] {9, 37}, new boolean[] {false, true}, null),
                new Case("last axis, odd lengths", new int[] {3, 7}, new boolean[] {false, true}, null),
                new Case("last axis, length 1", new int[] {5, 1}, new boolean[] {false, true}, null),
                new Case("first axis", new int[] {37, 9}, new boolean[] {true, false}, null),
                new Case("first axis, wide rows (column strips, parallel)", new int[] {300, 1030}, new boolean[] {true, false}, null),
                new Case("outer axes around a kept one", new int[] {4, 6, 5, 20}, new boolean[] {true, false, true, false}, null),
                new Case("middle axes", new int[] {3, 5, 6, 4}, new boolean[] {false, true, true, false}, null),
                new Case("all axes", new int[] {4, 5, 6}, new boolean[] {true, true, true}, null),
                new Case("permuted input", new int[] {6, 11, 5}, new boolean[] {false, true, false}, new int[] {2, 1, 0}),
                new Case("many outputs (parallel)", new int[] {2000, 33}, new boolean[] {false, true}, null),
                new Case("one long row (split)", new int[] {1, 200_003}, new boolean[] {false, true}, null),
                new Case("two long rows, first axis (split)", new int[] {100_001, 2}, new boolean[] {true, false}, null));
    }

    @TestFactory
    Stream<DynamicTest> everyOpDTypeAndLayout() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (ReduceOp op : ReduceOp.values()) {
                for (DType t : ElementwiseTest.ALL) {
                    for (Case c : cases()) {
                        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
                        int count = 0;
                        for (boolean r : c.reduced) if (r) count++;
                        if (arg && count != 1) continue;
                        if (Fixture.numel(c.shape) > 100_000 && t != DType.F32 && t != DType.I32) continue;
                        tests.add(dynamicTest((be.vectorized() ? "vector " : "scalar ") + op + " " + t + " " + c.name,
                                () -> run(be, op, t, c)));
                    }
                }
            }
        }
        return tests.stream();
    }

    private static void run(CpuBackend be, ReduceOp op, DType t, Case c) {
        try (Fixture f = new Fixture(be)) {
            int n = (int) Fixture.numel(c.shape);
            double[] x;
            if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN || !t.isFloating()) x = f.integers(n, -20, 21);  // ties
            else if (op == ReduceOp.PROD) x = f.uniform(n, 0.9, 1.1);
            else x = f.gaussian(n, 2);
            if (op == ReduceOp.PROD && !t.isFloating()) x = f.integers(n, -1, 2);
            x = Fixture.round(t, x);
            View xv = c.memoryOrder == null ? f.tensor(t, x, c.shape) : f.permutedTensor(t, x, c.shape, c.memoryOrder);
            int[] outShape = c.shape.clone();
            for (int d = 0; d < outShape.length; d++) if (c.reduced[d]) outShape[d] = 1;
            boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
            DType ot = arg ? (t == DType.I32 ? DType.I32 : DType.I64) : t;
            View out = f.empty(ot, outShape);
            be.reduce(op, xv, out);
            double[] ref = reference(op, x, c.shape, c.reduced);
            for (int i = 0; i < ref.length; i++) ref[i] = Fixture.round(ot, ref[i]);
            double[] got = f.read(out);
            if (arg || !t.isFloating() || op == ReduceOp.MAX || op == ReduceOp.MIN) f.assertExact(ref, got, "reduce " + op);
            else if (op == ReduceOp.SUM) {
                // a sum of signed terms may cancel: judge it against the sum of their magnitudes
                double[] scale = reference(op, java.util.Arrays.stream(x).map(Math::abs).toArray(), c.shape, c.reduced);
                f.assertCloseToScale(ref, scale, got, Fixture.tol(t), "reduce " + op);
            } else f.assertClose(ref, got, Fixture.tol(t), "reduce " + op);
        }
    }

    /** Float64 reference: visit every input element, fold into its output slot. */
    static double[] reference(ReduceOp op, double[] x, int[] shape, boolean[] reduced) {
        int r = shape.length;
        int[] outShape = shape.clone();
        for (int d = 0; d < r; d++) if (reduced[d]) outShape[d] = 1;
        int m = (int) Fixture.numel(outShape);
        double[] acc = new double[m], best = new double[m];
        long[] argIdx = new long[m];
        boolean[] seen = new boolean[m];
        int[] idx = new int[r];
        for (int i = 0; i < x.length; i++) {
            int o = 0;
            long along = 0;
            for (int d = 0; d < r; d++) {
                o = o * outShape[d] + (reduced[d] ? 0 : idx[d]);
                if (reduced[d]) along = along * shape[d] + idx[d];
            }
            double v = x[i];
            if (!seen[o]) {
                seen[o] = true;
                acc[o] = v;
                best[o] = v;
                argIdx[o] = along;
            } else {
                switch (op) {
                    case SUM -> acc[o] += v;
                    case PROD -> acc[o] *= v;
                    case MAX -> acc[o] = Double.isNaN(acc[o]) || Double.isNaN(v) ? Double.NaN : Math.max(acc[o], v);
                    case MIN -> acc[o] = Double.isNaN(acc[o]) || Double.isNaN(v) ? Double.NaN : Math.min(acc[o], v);
                    case ARGMAX, ARGMIN -> {
                        boolean better = !Double.isNaN(best[o]) && (Double.isNaN(v) || (op == ReduceOp.ARGMAX ? v > best[o] : v < best[o]));
                        if (better) { best[o] = v; argIdx[o] = along; }
                    }
                }
            }
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) for (int o = 0; o < m; o++) acc[o] = argIdx[o];
        return acc;
    }

    @Test
    void nanPropagatesAndArgPicksFirstNaN() {
        for (CpuBackend be : Fixture.backends()) {
            for (int n : new int[] {5, 40, 70_001}) {
                try (Fixture f = new Fixture(be)) {
                    double[] x = Fixture.round(DType.F32, f.gaussian(2 * n, 1));
                    x[n / 2] = Double.NaN;
                    x[n - 1] = Double.NaN;
                    x[n + n / 3] = Double.NaN;
                    View xv = f.tensor(DType.F32, x, 2, n);
                    for (ReduceOp op : ReduceOp.values()) {
                        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
                        View out = f.empty(arg ? DType.I64 : DType.F32, 2, 1);
                        be.reduce(op, xv, out);
                        double[] got = f.read(out);
                        double[] ref = arg ? new double[] {n / 2, n / 3} : new double[] {Double.NaN, Double.NaN};
                        if (op == ReduceOp.SUM || op == ReduceOp.PROD || !arg) f.assertExact(ref, got, "NaN " + op + " n=" + n);
                        else f.assertExact(ref, got, "first NaN " + op + " n=" + n);
                    }
                }
            }
        }
    }

    @Test
    void sumOfAMillionFloatsStaysAccurate() {
        for (CpuBackend be : Fixture.backends()) {
            try (Fixture f = new Fixture(be)) {
                int n = 1 << 20;
                double[] x = Fixture.round(DType.F32, f.uniform(n, 0.5, 1.5));
                double ref = 0;
                for (double v : x) ref += v;
                View out = f.empty(DType.F32, 1);
                be.reduce(ReduceOp.SUM, f.tensor(DType.F32, x, n), out);
                // A naive float accumulator is off by ~1e-4 relative here; float32 rounding of the result is 6e-8.
                f.assertClose(new double[] {ref}, f.read(out), 2e-7, "sum of 2^20 floats");
            }
        }
    }

    @Test
    void emptyAxisRules() {
        CpuBackend be = Fixture.VECTOR;
        try (Fixture f = new Fixture(be)) {
            View x = f.tensor(DType.F32, new double[0], 3, 0);
            View sum = f.empty(DType.F32, 3, 1), prod = f.empty(DType.F32, 3, 1), max = f.empty(DType.F32, 3, 1);
            be.reduce(ReduceOp.SUM, x, sum);
            be.reduce(ReduceOp.PROD, x, prod);
            f.assertExact(new double[] {0, 0, 0}, f.read(sum), "empty sum");
            f.assertExact(new double[] {1, 1, 1}, f.read(prod), "empty prod");
            assertThrows(KilnException.class, () -> be.reduce(ReduceOp.MAX, x, max));
            View y = f.tensor(DType.F32, new double[6], 2, 3), bad = f.empty(DType.F32, 2, 2);
            assertThrows(KilnException.class, () -> be.reduce(ReduceOp.SUM, y, bad));
            View both = f.empty(DType.I64, 1, 1);
            assertThrows(KilnException.class, () -> be.reduce(ReduceOp.ARGMAX, y, both));
        }
    }
}
