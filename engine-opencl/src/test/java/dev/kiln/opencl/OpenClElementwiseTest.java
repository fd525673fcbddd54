package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.ShapeException;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import dev.kiln.tck.ref.ElementwiseRef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class OpenClElementwiseTest extends OpenClTestSupport {
    private static final int[][] SHAPES = {{1}, {7}, {129}, {3, 5, 7}, {2, 1, 3, 1, 5}};

    /** Input range where the op is defined and well conditioned. */
    private static double[] domain(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT, RECIPROCAL -> new double[] {0.25, 4};
            case LOG1P -> new double[] {-0.5, 3};
            case FLOOR, CEIL, ROUND, SIGN, NOT -> new double[] {-4, 4};
            default -> new double[] {-3, 3};
        };
    }

    private void checkUnary(UnaryOp op, DType in, DType out, int[] shape) {
        double[] dom = domain(op);
        try (HostArray x = HostArray.strided(backend, in, rnd, shape); HostArray y = HostArray.strided(backend, out, rnd, shape)) {
            x.random(rnd, dom[0], dom[1]);
            if (op == UnaryOp.ROUND || op == UnaryOp.NOT || op == UnaryOp.SIGN) {     // exact halves and zeros
                for (int i = 0; i < x.data.length; i++) x.data[i] = HostArray.round(in, Math.round(x.data[i] * 2) / 2.0);
                x.upload();
            }
            y.poison();
            backend.unary(op, x.view, y.view);
            y.download();
            double[] ref = new double[x.numel()];
            for (int i = 0; i < ref.length; i++) ref[i] = HostArray.cast(out, unaryRef(op, x.get(i), in.isFloating()));
            String what = "unary " + op + " " + in + "->" + out + " " + x.view + " -> " + y.view + seedNote();
            if (out.isFloating()) Compare.close(what, ref, y.values(), Math.max(Compare.tolerance(out), Compare.tolerance(in)));
            else Compare.exact(what, ref, y.values());
            assertTrue(y.untouchedOutsideView(), what + ": wrote outside the output view");
        }
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unaryOnFloats(UnaryOp op) {
        for (int[] shape : SHAPES) checkUnary(op, DType.F32, DType.F32, shape);
        checkUnary(op, DType.F16, DType.F16, new int[] {4, 33});
        checkUnary(op, DType.BF16, DType.F32, new int[] {4, 33});
    }

    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"COPY", "NEG", "ABS", "SIGN", "SQUARE", "NOT"})
    void unaryOnIntegers(UnaryOp op) {
        for (int[] shape : SHAPES) {
            checkUnary(op, DType.I32, DType.I32, shape);
            checkUnary(op, DType.I64, DType.I64, shape);
        }
        checkUnary(op, DType.I32, DType.F32, new int[] {9, 2});
    }

    @Test
    void copyCastsBetweenEveryPairOfDtypes() {
        for (DType in : DType.values()) {
            for (DType out : DType.values()) checkUnary(UnaryOp.COPY, in, out, new int[] {3, 43});
        }
    }

    @Test
    void castToIntegerTruncatesAndSaturatesLikeJava() {
        double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e10, -1e10, 2.7, -2.7, -0.5};
        for (DType out : new DType[] {DType.I32, DType.I64}) {
            try (HostArray x = HostArray.contiguous(backend, DType.F32, values.length);
                 HostArray y = HostArray.contiguous(backend, out, values.length)) {
                System.arraycopy(values, 0, x.data, 0, values.length);
                for (int i = 0; i < values.length; i++) x.data[i] = (float) values[i];
                x.upload();
                y.poison();
                backend.unary(UnaryOp.COPY, x.view, y.view);
                double[] ref = new double[values.length];
                for (int i = 0; i < ref.length; i++) ref[i] = out == DType.I32 ? (int) (float) values[i] : (long) (float) values[i];
                Compare.exact("cast F32->" + out, ref, y.download().values());
            }
        }
    }

    @Test
    void unaryRejectsIntegersForFloatOps() {
        try (HostArray x = HostArray.contiguous(backend, DType.I32, 4); HostArray y = HostArray.contiguous(backend, DType.I32, 4)) {
            assertThrows(DTypeException.class, () -> backend.unary(UnaryOp.EXP, x.view, y.view));
        }
    }

    private void checkBinary(BinaryOp op, DType in, DType out, int[] aShape, int[] bShape, int[] shape) {
        boolean discrete = op.isComparison() || !in.isFloating();
        try (HostArray a = HostArray.strided(backend, in, rnd, aShape); HostArray b = HostArray.strided(backend, in, rnd, bShape);
             HostArray y = HostArray.strided(backend, out, rnd, shape)) {
            if (discrete) {
                a.random(rnd, op.isComparison() ? -2 : -20, op.isComparison() ? 3 : 21);
                b.random(rnd, op.isComparison() ? -2 : -7, op.isComparison() ? 3 : 8);
                if (op == BinaryOp.DIV || op == BinaryOp.MOD) {          // no division by zero
                    for (int i = 0; i < b.data.length; i++) if (b.data[i] == 0) b.data[i] = 3;
                    b.upload();
                }
            } else if (op == BinaryOp.POW) {
                a.random(rnd, 0.5, 2);
                b.random(rnd, -2, 2);
            } else {
                a.random(rnd, -3, 3);
                b.random(rnd, 0.5, 3);
                if (op != BinaryOp.MOD) {
                    for (int i = 0; i < b.data.length; i++) if (rnd.nextBoolean()) b.data[i] = -b.data[i];
                    b.upload();
                }
            }
            y.poison();
            View av = a.broadcastTo(shape), bv = b.broadcastTo(shape);
            backend.binary(op, av, bv, y.view);
            y.download();
            double[] ref = new double[y.numel()];
            HostArray.Index ai = new HostArray.Index(av), bi = new HostArray.Index(bv);
            for (int i = 0; i < ref.length; i++) {
                double r = binaryRef(op, a.data[ai.position(i)], b.data[bi.position(i)], in.isFloating());
                ref[i] = in.isFloating() ? HostArray.round(in, r) : r;
                ref[i] = HostArray.cast(out, ref[i]);
            }
            String what = "binary " + op + " " + in + "->" + out + " " + av + ", " + bv + " -> " + y.view + seedNote();
            if (out.isFloating() && in.isFloating() && !op.isComparison()) {
                Compare.close(what, ref, y.values(), Math.max(Compare.tolerance(out), Compare.tolerance(in)));
            } else {
                Compare.exact(what, ref, y.values());
            }
            assertTrue(y.untouchedOutsideView(), what + ": wrote outside the output view");
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryOnFloatsWithBroadcasting(BinaryOp op) {
        checkBinary(op, DType.F32, DType.F32, new int[] {129}, new int[] {129}, new int[] {129});
        checkBinary(op, DType.F32, DType.F32, new int[] {5, 1, 7}, new int[] {3, 1}, new int[] {5, 3, 7});
        checkBinary(op, DType.F32, DType.F32, new int[] {1}, new int[] {2, 3, 1, 2, 1, 2, 1, 3}, new int[] {2, 3, 1, 2, 1, 2, 1, 3});
        checkBinary(op, DType.F16, DType.F16, new int[] {4, 1}, new int[] {4, 9}, new int[] {4, 9});
        checkBinary(op, DType.BF16, DType.BF16, new int[] {17}, new int[] {3, 17}, new int[] {3, 17});
        if (op.isComparison()) checkBinary(op, DType.F32, DType.I64, new int[] {6, 7}, new int[] {7}, new int[] {6, 7});
    }

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, mode = EnumSource.Mode.EXCLUDE, names = "POW")
    void binaryOnIntegers(BinaryOp op) {
        for (DType in : new DType[] {DType.I32, DType.I64}) {
            checkBinary(op, in, in, new int[] {7}, new int[] {7}, new int[] {7});
            checkBinary(op, in, in, new int[] {3, 1, 5}, new int[] {4, 1}, new int[] {3, 4, 5});
        }
        checkBinary(op, DType.I32, DType.F32, new int[] {11}, new int[] {11}, new int[] {11});
    }

    @Test
    void binaryAccumulatesInPlace() {
        try (HostArray a = HostArray.contiguous(backend, DType.F32, 5, 7); HostArray b = HostArray.contiguous(backend, DType.F32, 7)) {
            a.random(rnd, -1, 1);
            b.random(rnd, -1, 1);
            double[] ref = new double[35];
            for (int i = 0; i < 35; i++) ref[i] = (float) (a.data[i] + b.data[i % 7]);
            backend.binary(BinaryOp.ADD, a.view, b.broadcastTo(new int[] {5, 7}), a.view);
            Compare.close("in-place add" + seedNote(), ref, a.download().values(), Compare.tolerance(DType.F32));
        }
    }

    @Test
    void binaryRejectsMismatchedShapesAndDtypes() {
        try (HostArray a = HostArray.contiguous(backend, DType.F32, 3); HostArray b = HostArray.contiguous(backend, DType.F32, 4);
             HostArray c = HostArray.contiguous(backend, DType.I32, 3)) {
            ShapeException e = assertThrows(ShapeException.class, () -> backend.binary(BinaryOp.ADD, a.view, b.view, a.view));
            assertTrue(e.getMessage().contains("ADD") && e.getMessage().contains("[4]"), e.getMessage());
            assertThrows(DTypeException.class, () -> backend.binary(BinaryOp.ADD, a.view, c.view, a.view));
            assertThrows(DTypeException.class, () -> backend.binary(BinaryOp.POW, c.view, c.view, c.view));
        }
    }

    @Test
    void whereSelectsByAnyConditionDtype() {
        int[] shape = {4, 6, 5};
        for (DType cond : new DType[] {DType.I32, DType.F32, DType.I64}) {
            for (DType val : new DType[] {DType.F32, DType.I64, DType.BF16}) {
                try (HostArray a = HostArray.strided(backend, cond, rnd, 4, 1, 5); HostArray b = HostArray.strided(backend, val, rnd, shape);
                     HostArray c = HostArray.strided(backend, val, rnd, 6, 1); HostArray y = HostArray.strided(backend, val, rnd, shape)) {
                    a.random(rnd, -1, 2);
                    b.random(rnd, -50, 50);
                    c.random(rnd, -50, 50);
                    y.poison();
                    View av = a.broadcastTo(shape), cv = c.broadcastTo(shape);
                    backend.ternary(TernaryOp.WHERE, av, b.view, cv, y.view);
                    HostArray.Index ai = new HostArray.Index(av), ci = new HostArray.Index(cv);
                    double[] ref = new double[y.numel()];
                    for (int i = 0; i < ref.length; i++) ref[i] = a.data[ai.position(i)] != 0 ? b.get(i) : c.data[ci.position(i)];
                    Compare.exact("where " + cond + "/" + val + seedNote(), ref, y.download().values());
                    assertTrue(y.untouchedOutsideView());
                }
            }
        }
    }

    @Test
    void clampOnFloatsAndIntegers() {
        int[] shape = {3, 129};
        for (DType dt : new DType[] {DType.F32, DType.I32, DType.I64, DType.F16}) {
            try (HostArray a = HostArray.strided(backend, dt, rnd, shape); HostArray lo = HostArray.contiguous(backend, dt, 1);
                 HostArray hi = HostArray.strided(backend, dt, rnd, 3, 1); HostArray y = HostArray.strided(backend, dt, rnd, shape)) {
                a.random(rnd, -10, 10);
                lo.data[0] = -3;
                lo.upload();
                hi.random(rnd, 0, 5);
                y.poison();
                View lv = lo.broadcastTo(shape), hv = hi.broadcastTo(shape);
                backend.ternary(TernaryOp.CLAMP, a.view, lv, hv, y.view);
                HostArray.Index hiIdx = new HostArray.Index(hv);
                double[] ref = new double[y.numel()];
                for (int i = 0; i < ref.length; i++) ref[i] = Math.min(Math.max(a.get(i), -3), hi.data[hiIdx.position(i)]);
                Compare.exact("clamp " + dt + seedNote(), ref, y.download().values());
            }
        }
    }

    @Test
    void fillConvertsToEveryDtype() {
        for (DType dt : DType.values()) {
            try (HostArray y = HostArray.strided(backend, dt, rnd, 5, 1, 9)) {
                y.poison();
                backend.fill(y.view, -2.75);
                double[] ref = new double[y.numel()];
                java.util.Arrays.fill(ref, HostArray.cast(dt, -2.75));
                Compare.exact("fill " + dt + seedNote(), ref, y.download().values());
                assertTrue(y.untouchedOutsideView(), "fill " + dt + " wrote outside its view");
            }
        }
    }

    /** The kit's float64 references, with integer semantics for integer dtypes. */
    private static double unaryRef(UnaryOp op, double x, boolean floating) {
        return floating ? ElementwiseRef.unary(op, x) : ElementwiseRef.unary(op, (long) x);
    }

    private static double binaryRef(BinaryOp op, double a, double b, boolean floating) {
        return floating ? ElementwiseRef.binary(op, a, b) : ElementwiseRef.binary(op, (long) a, (long) b);
    }
}
