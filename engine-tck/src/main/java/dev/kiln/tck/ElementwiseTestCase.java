package dev.kiln.tck;

import static dev.kiln.tck.ElementChecks.assertEach;
import static dev.kiln.tck.ElementChecks.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Tensor;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.tck.ref.Broadcast;
import dev.kiln.tck.ref.ElementwiseRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link UnaryOp}, {@link BinaryOp} and {@link dev.kiln.spi.TernaryOp} through the Tensor
 * methods: F32 on odd sizes and broadcast shapes of rank 0 to 5, special values, I32/I64 semantics
 * (floor division and modulo), and casts between every pair of dtypes the backend stores.
 */
public abstract class ElementwiseTestCase extends KilnTestCase {

    // ---- the Tensor method behind each op ----

    static Tensor call(UnaryOp op, Tensor x) {
        return switch (op) {
            case COPY -> x.copy();
            case NEG -> x.neg();
            case ABS -> x.abs();
            case SIGN -> x.sign();
            case SQUARE -> x.square();
            case NOT -> x.logicalNot();
            case EXP -> x.exp();
            case LOG -> x.log();
            case LOG1P -> x.log1p();
            case EXPM1 -> x.expm1();
            case SQRT -> x.sqrt();
            case RSQRT -> x.rsqrt();
            case RECIPROCAL -> x.reciprocal();
            case SIN -> x.sin();
            case COS -> x.cos();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case ERF -> x.erf();
            case RELU -> x.relu();
            case GELU -> x.gelu();
            case GELU_TANH -> x.geluTanh();
            case SILU -> x.silu();
            case FLOOR -> x.floor();
            case CEIL -> x.ceil();
            case ROUND -> x.round();
        };
    }

    static Tensor call(BinaryOp op, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MOD -> a.mod(b);
            case POW -> a.pow(b);
            case MAXIMUM -> a.maximum(b);
            case MINIMUM -> a.minimum(b);
            case EQ -> a.eq(b);
            case NE -> a.ne(b);
            case LT -> a.lt(b);
            case LE -> a.le(b);
            case GT -> a.gt(b);
            case GE -> a.ge(b);
            case AND -> a.logicalAnd(b);
            case OR -> a.logicalOr(b);
        };
    }

    static Tensor callScalar(BinaryOp op, Tensor a, double s) {
        return switch (op) {
            case ADD -> a.add(s);
            case SUB -> a.sub(s);
            case MUL -> a.mul(s);
            case DIV -> a.div(s);
            case MOD -> a.mod(s);
            case POW -> a.pow(s);
            case MAXIMUM -> a.maximum(s);
            case MINIMUM -> a.minimum(s);
            case EQ -> a.eq(s);
            case NE -> a.ne(s);
            case LT -> a.lt(s);
            case LE -> a.le(s);
            case GT -> a.gt(s);
            case GE -> a.ge(s);
            case AND, OR -> throw new IllegalArgumentException(op + " has no scalar overload");
        };
    }

    // ---- inputs inside each op's domain ----

    private HostTensor unaryInput(UnaryOp op, int... shape) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> HostTensor.uniform(rnd, 0.01, 20, shape);
            case LOG1P -> HostTensor.uniform(rnd, -0.95, 20, shape);
            case RECIPROCAL -> signedAwayFromZero(shape);
            case EXP, EXPM1 -> HostTensor.uniform(rnd, -20, 20, shape);
            // values near .5 steps exercise rounding; halves exactly test ties to even
            case FLOOR, CEIL, ROUND -> halves(HostTensor.uniform(rnd, -10, 10, shape));
            case NOT -> HostTensor.randint(rnd, -1, 2, shape);
            default -> HostTensor.randn(rnd, shape).map(v -> (float) (3 * v));
        };
    }

    private HostTensor signedAwayFromZero(int... shape) {
        return HostTensor.uniform(rnd, 0.25, 4, shape).map(v -> rnd.nextBoolean() ? v : -v);
    }

    /** Every third value moved to an exact multiple of 0.5. */
    private static HostTensor halves(HostTensor h) {
        for (int i = 0; i < h.numel(); i += 3) h.data[i] = Math.round(h.data[i] * 2) / 2.0;
        return h;
    }

    private HostTensor binaryInput(BinaryOp op, boolean second, int... shape) {
        return switch (op) {
            case DIV, MOD -> second ? signedAwayFromZero(shape) : HostTensor.randn(rnd, shape).map(v -> (float) (5 * v));
            case POW -> second ? HostTensor.uniform(rnd, -3, 3, shape) : HostTensor.uniform(rnd, 0.1, 4, shape);
            // few distinct values, so equal pairs occur
            case EQ, NE, LT, LE, GT, GE -> HostTensor.randint(rnd, -2, 3, shape);
            case AND, OR -> HostTensor.randint(rnd, 0, 3, shape).map(v -> v == 2 ? -2.5 : v);
            default -> HostTensor.randn(rnd, shape);
        };
    }

    private static HostTensor unaryRef(UnaryOp op, HostTensor x) { return x.map(v -> ElementwiseRef.unary(op, v)); }

    // ---- F32 unary ----

    static Stream<Arguments> unaryCases() {
        List<Arguments> out = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) {
            for (int[] s : new int[][] {{}, {1}, {7}, {129}, {3, 5, 7}, {2, 1, 3, 1, 2}}) out.add(Arguments.of(op, s));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unaryCases")
    void unaryF32MatchesFloat64(UnaryOp op, int[] shape) {
        HostTensor x = unaryInput(op, shape);
        Tensor r = track(call(op, upload(x)));
        assertEquals(DType.F32, r.dtype());
        assertClose(op + " " + Arrays.toString(shape), unaryRef(op, x), r);
    }

    /** Ops whose value at infinity is well defined in IEEE arithmetic; all must propagate NaN. */
    private static boolean definedAtInfinity(UnaryOp op) {
        return switch (op) {
            case GELU, GELU_TANH, SILU -> false;
            default -> true;
        };
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unarySpecialValues(UnaryOp op) {
        double inf = Double.POSITIVE_INFINITY;
        double[] specials = definedAtInfinity(op)
                ? new double[] {Double.NaN, inf, -inf, 0.0, -0.0, 1e30, -1e30, 1e-30, -1e-30, 80, -80, 100, -100, 0.5, -0.5, 1, -1}
                : new double[] {Double.NaN, 0.0, -0.0, 30, -30, 80, -80, 1e-30, 0.5, -0.5};
        HostTensor x = new HostTensor(specials, specials.length);
        double[] expected = Arrays.stream(specials).map(v -> (float) ElementwiseRef.unary(op, (float) v)).toArray();
        Tensor r = track(call(op, upload(x)));
        assertEach(op + " of special values " + Arrays.toString(specials), expected, toDouble(r.toFloatArray()), 1e-5, false, seedNote());
    }

    /** Far in the negative tail these functions are tiny: a form like 1 + erf(x) or 1 + tanh(x) cancels there. */
    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"GELU", "GELU_TANH", "SIGMOID", "SILU"})
    void smoothActivationsStayAccurateForNegativeInputs(UnaryOp op) {
        HostTensor x = HostTensor.uniform(rnd, -9, -2, 257);
        double[] expected = Arrays.stream(x.data).map(v -> (float) ElementwiseRef.unary(op, v)).toArray();
        float[] got = track(call(op, upload(x))).toFloatArray();
        for (int i = 0; i < got.length; i++) {
            // relative to the value itself (down to float32's smallest normal): the whole point is the tiny tail
            if (!(Math.abs(got[i] - expected[i]) <= 1e-5 * Math.abs(expected[i]) + 1e-37)) {
                org.junit.jupiter.api.Assertions.fail(op + "(" + x.data[i] + ") is " + got[i] + ", expected " + expected[i] + " (" + seedNote() + ")");
            }
        }
    }

    @Test
    void negativeZeroKeepsItsSign() {
        Tensor zero = track(device().scalar(0.0));
        Tensor negZero = track(zero.neg());
        assertEquals(Double.NEGATIVE_INFINITY, track(negZero.reciprocal()).item(), "1 / neg(0.0) must be -inf");
        assertEquals(Double.POSITIVE_INFINITY, track(track(negZero.abs()).reciprocal()).item(), "1 / abs(-0.0) must be +inf");
        assertEquals(1.0, track(negZero.eq(zero)).item(), "-0.0 == 0.0");
    }

    /** Primitives accept any output strides: results written through a transposed view land transposed. */
    @Test
    void primitivesWriteThroughStridedOutputs() {
        HostTensor x = randn(3, 5), y = randn(3, 5);
        Tensor dx = upload(x), dy = upload(y);
        Tensor buf = track(device().zeros(5, 3));
        dev.kiln.spi.View b = buf.view();
        dev.kiln.spi.View outT = new dev.kiln.spi.View(b.buffer(), DType.F32, b.offset(), new int[] {3, 5}, new long[] {1, 3});
        device().backend().unary(UnaryOp.TANH, dx.view(), outT);
        assertClose("tanh into a transposed view", dev.kiln.tck.ref.Layout.permute(unaryRef(UnaryOp.TANH, x), 1, 0), buf);
        device().backend().binary(BinaryOp.SUB, dx.view(), dy.view(), outT);
        assertClose("sub into a transposed view", dev.kiln.tck.ref.Layout.permute(Broadcast.binary(x, y, (p, q) -> p - q), 1, 0), buf);
        device().backend().ternary(dev.kiln.spi.TernaryOp.WHERE, dx.view(), dx.view(), dy.view(), outT);
        assertClose("where into a transposed view", dev.kiln.tck.ref.Layout.permute(Broadcast.ternary(x, x, y, (c, p, q) -> c != 0 ? p : q), 1, 0), buf);
        // every other column of a [3, 8] matrix; the columns between must keep their values
        Tensor wide = track(device().full(-3, 3, 8));
        dev.kiln.spi.View w = wide.view();
        device().backend().fill(new dev.kiln.spi.View(w.buffer(), DType.F32, w.offset() + 1, new int[] {3, 4}, new long[] {8, 2}), 5);
        double[] expected = new double[24];
        for (int i = 0; i < 24; i++) expected[i] = i % 2 == 1 ? 5 : -3;
        assertExact("fill of every other column", expected, wide);
    }

    // ---- integer unary ----

    static Stream<Arguments> integerUnaryCases() {
        List<Arguments> out = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) {
            if (!op.acceptsIntegers()) continue;
            for (DType t : new DType[] {DType.I32, DType.I64}) for (int n : new int[] {1, 7, 129}) out.add(Arguments.of(op, t, n));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("integerUnaryCases")
    void unaryOnIntegers(UnaryOp op, DType dtype, int n) {
        HostTensor x = HostTensor.randint(rnd, -1000, 1001, n);
        x.data[0] = 0;
        Tensor r = track(call(op, track(x.to(device(), dtype))));
        assertEquals(dtype, r.dtype(), op + " keeps the integer dtype");
        assertExact(op + " " + dtype, Arrays.stream(x.data).map(v -> ElementwiseRef.unary(op, (long) v)).toArray(), r);
    }

    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"EXP", "LOG", "SQRT", "TANH", "RELU", "FLOOR"})
    void floatOnlyUnaryRejectsIntegers(UnaryOp op) {
        Tensor x = track(device().arange(4));
        DTypeException e = assertThrows(DTypeException.class, () -> track(call(op, x)));
        ErrorTestCase.assertNames(e, op.name().toLowerCase(), "I64");
    }

    // ---- F32 binary with broadcasting ----

    /** Broadcasting edge cases: scalars, [1], leading and trailing ones, rank 0 to 5, empty, odd sizes. */
    static final int[][][] SHAPE_PAIRS = {
            {{}, {}}, {{}, {7}}, {{129}, {}}, {{1}, {129}}, {{7}, {1}}, {{129}, {129}},
            {{3, 1}, {1, 5}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {3, 1}}, {{1, 3, 1}, {2, 1, 4}},
            {{2, 1, 3, 1, 5}, {3, 4, 1}}, {{1, 1, 1, 1, 1}, {3}}, {{0, 3}, {3}}, {{5, 7}, {5, 7}}, {{7, 1, 1}, {1, 1, 9}},
    };

    static Stream<Arguments> binaryCases() {
        List<Arguments> out = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) for (int[][] p : SHAPE_PAIRS) out.add(Arguments.of(op, p[0], p[1]));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("binaryCases")
    void binaryF32Broadcasts(BinaryOp op, int[] sa, int[] sb) {
        HostTensor a = binaryInput(op, false, sa), b = binaryInput(op, true, sb);
        HostTensor ref = Broadcast.binary(a, b, (x, y) -> ElementwiseRef.binary(op, x, y));
        Tensor r = track(call(op, upload(a), upload(b)));
        assertEquals(DType.F32, r.dtype());
        assertClose(op + " " + Arrays.toString(sa) + " with " + Arrays.toString(sb), ref, r);
        // and the other way round, where broadcasting is asymmetric for the kernel
        HostTensor ref2 = Broadcast.binary(b, a, (x, y) -> ElementwiseRef.binary(op, x, y));
        if (op != BinaryOp.POW && op != BinaryOp.DIV && op != BinaryOp.MOD) {
            assertClose(op + " " + Arrays.toString(sb) + " with " + Arrays.toString(sa), ref2, track(call(op, upload(b), upload(a))));
        }
    }

    static Stream<Arguments> randomBroadcastCases() {
        return Stream.of(BinaryOp.ADD, BinaryOp.MUL, BinaryOp.SUB, BinaryOp.MAXIMUM, BinaryOp.GT)
                .flatMap(op -> Stream.of(0, 1, 2, 3).map(k -> Arguments.of(op, k)));
    }

    /** Random shape pairs of rank 0 to 5 with random extents of 1, drawn from the test's seed. */
    @ParameterizedTest(name = "{0} draw {1}")
    @MethodSource("randomBroadcastCases")
    void binaryRandomBroadcastShapes(BinaryOp op, int draw) {
        for (int trial = 0; trial < 4; trial++) {
            int rank = rnd.nextInt(6);
            int[] full = new int[rank];
            for (int i = 0; i < rank; i++) full[i] = new int[] {1, 2, 3, 5}[rnd.nextInt(4)];
            int[] sa = dropSome(full, rnd), sb = dropSome(full, rnd);
            HostTensor a = HostTensor.randn(rnd, sa), b = HostTensor.randn(rnd, sb);
            HostTensor ref = Broadcast.binary(a, b, (x, y) -> ElementwiseRef.binary(op, x, y));
            assertClose(op + " " + Arrays.toString(sa) + " with " + Arrays.toString(sb), ref, track(call(op, upload(a), upload(b))));
        }
    }

    /** A shape that broadcasts to {@code full}: some leading axes dropped, some extents set to 1. */
    private static int[] dropSome(int[] full, Random rnd) {
        int drop = full.length == 0 ? 0 : rnd.nextInt(full.length + 1);
        int[] s = Arrays.copyOfRange(full, drop, full.length);
        for (int i = 0; i < s.length; i++) if (rnd.nextInt(3) == 0) s[i] = 1;
        return s;
    }

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, names = {"AND", "OR"}, mode = EnumSource.Mode.EXCLUDE)
    void binaryWithScalarOperand(BinaryOp op) {
        HostTensor a = binaryInput(op, false, 7, 3);
        double s = switch (op) {
            case DIV, MOD -> -1.75;
            case POW -> 1.5;
            case EQ, NE, LT, LE, GT, GE -> 1;
            default -> 0.625;
        };
        HostTensor ref = a.map(v -> ElementwiseRef.binary(op, v, s));
        assertClose(op + " with scalar " + s, ref, track(callScalar(op, upload(a), s)));
    }

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, names = {"POW", "MOD"}, mode = EnumSource.Mode.EXCLUDE)
    void binarySpecialValues(BinaryOp op) {
        double inf = Double.POSITIVE_INFINITY;
        double[] sp = {Double.NaN, inf, -inf, 0.0, -0.0, 1, -1, 2.5};
        int n = sp.length * sp.length;
        double[] a = new double[n], b = new double[n], expected = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = sp[i / sp.length];
            b[i] = sp[i % sp.length];
            expected[i] = (float) ElementwiseRef.binary(op, a[i], b[i]);
        }
        Tensor r = track(call(op, upload(new HostTensor(a, n)), upload(new HostTensor(b, n))));
        boolean signedZero = op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
        assertEach(op + " on all pairs of " + Arrays.toString(sp), expected, toDouble(r.toFloatArray()), 1e-6, signedZero, seedNote());
    }

    @Test
    void powOfNegativeBaseWithIntegerExponent() {
        HostTensor a = new HostTensor(new double[] {-2, -2, -3, -0.5, 2, -2}, 6), b = new HostTensor(new double[] {3, 2, 0, -1, 0.5, 0.5}, 6);
        HostTensor ref = Broadcast.binary(a, b, Math::pow);
        assertEach("pow", ref.data, toDouble(track(upload(a).pow(upload(b))).toFloatArray()), 1e-6, false, seedNote());
    }

    @Test
    void floatModFollowsTheDivisorSign() {
        HostTensor a = new HostTensor(new double[] {5.5, -5.5, 5.5, -5.5, 3, -3, 0}, 7), b = new HostTensor(new double[] {2, 2, -2, -2, 3, 3, -2}, 7);
        double[] expected = {1.5, 0.5, -0.5, -1.5, 0, 0, 0};
        assertEach("mod", expected, toDouble(track(upload(a).mod(upload(b))).toFloatArray()), 1e-6, false, seedNote());
    }

    // ---- integer binary ----

    static Stream<Arguments> integerBinaryCases() {
        List<Arguments> out = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            if (!op.acceptsIntegers()) continue;
            for (DType t : new DType[] {DType.I32, DType.I64}) {
                out.add(Arguments.of(op, t, new int[] {129}, new int[] {129}));
                out.add(Arguments.of(op, t, new int[] {3, 1, 5}, new int[] {4, 1}));
                out.add(Arguments.of(op, t, new int[] {7}, new int[] {}));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("integerBinaryCases")
    void binaryOnIntegers(BinaryOp op, DType dtype, int[] sa, int[] sb) {
        HostTensor a = HostTensor.randint(rnd, -50, 51, sa), b = HostTensor.randint(rnd, -50, 51, sb);
        if (op == BinaryOp.DIV || op == BinaryOp.MOD) b = b.map(v -> v == 0 ? 7 : v);
        HostTensor ref = Broadcast.binary(a, b, (x, y) -> ElementwiseRef.binary(op, (long) x, (long) y));
        Tensor r = track(call(op, track(a.to(device(), dtype)), track(b.to(device(), dtype))));
        assertEquals(op.isComparison() ? DType.F32 : dtype, r.dtype(), op + " result dtype");
        assertEquals(Arrays.toString(ref.shape), r.shape().toString());
        assertExact(op + " " + dtype + " " + Arrays.toString(sa) + " with " + Arrays.toString(sb), ref.data, r);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"I32", "I64"})
    void integerDivisionAndModuloFloorTowardMinusInfinity(DType dtype) {
        double[] a = {7, -7, 7, -7, 6, -6, 0, 1, -1};
        double[] b = {2, 2, -2, -2, 3, -3, 5, -5, 5};
        Tensor ta = track(new HostTensor(a, a.length).to(device(), dtype)), tb = track(new HostTensor(b, b.length).to(device(), dtype));
        assertExact("floor division", new double[] {3, -4, -4, 3, 2, 2, 0, -1, -1}, track(ta.div(tb)));
        assertExact("floor modulo", new double[] {1, 1, -1, -1, 0, 0, 0, -4, 4}, track(ta.mod(tb)));
    }

    @Test
    void i64ArithmeticUses64Bits() {
        long big = 3_000_000_000L;
        Tensor a = track(device().fromArray(new long[] {big, -big, big * 1000}, 3));
        Tensor r = track(a.add(a));
        assertEquals(Arrays.toString(new long[] {2 * big, -2 * big, 2000 * big}), Arrays.toString(r.toLongArray()));
        assertEquals(Arrays.toString(new long[] {big * big}), Arrays.toString(track(track(a.narrow(0, 0, 1)).square()).toLongArray()));
    }

    @Test
    void powRejectsIntegers() {
        Tensor a = track(device().arange(3));
        assertThrows(DTypeException.class, () -> track(a.pow(a)));
    }

    // ---- ternary ----

    static Stream<Arguments> whereCases() {
        List<Arguments> out = new ArrayList<>();
        int[][][] shapes = {{{129}, {129}, {129}}, {{3, 1}, {1, 4}, {}}, {{2, 1, 5}, {3, 1}, {2, 3, 5}}, {{}, {7}, {7}}, {{1, 1, 1, 1, 2}, {3, 1, 1, 2}, {1}}};
        for (DType cond : new DType[] {DType.F32, DType.I64}) {
            for (DType value : new DType[] {DType.F32, DType.I32, DType.I64}) for (int[][] s : shapes) out.add(Arguments.of(cond, value, s[0], s[1], s[2]));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "cond {0} values {1} {2} {3} {4}")
    @MethodSource("whereCases")
    void whereBroadcastsAllThree(DType condType, DType valueType, int[] sc, int[] sa, int[] sb) {
        HostTensor c = HostTensor.randint(rnd, -1, 2, sc);
        HostTensor a = valueType.isFloating() ? randn(sa) : HostTensor.randint(rnd, -100, 100, sa);
        HostTensor b = valueType.isFloating() ? randn(sb) : HostTensor.randint(rnd, -100, 100, sb);
        HostTensor ref = Broadcast.ternary(c, a, b, (x, y, z) -> x != 0 ? y : z);
        Tensor r = track(Tensor.where(track(c.to(device(), condType)), track(a.to(device(), valueType)), track(b.to(device(), valueType))));
        assertEquals(valueType, r.dtype());
        assertEquals(Arrays.toString(ref.shape), r.shape().toString());
        assertExact("where", ref.data, r);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "I32", "I64"})
    void clampIntoRange(DType dtype) {
        HostTensor x = dtype.isFloating() ? HostTensor.randn(rnd, 129).map(v -> (float) (3 * v)) : HostTensor.randint(rnd, -9, 10, 129);
        HostTensor ref = x.map(v -> Math.min(Math.max(v, -1.5), 2));
        if (!dtype.isFloating()) ref = x.map(v -> Math.min(Math.max(v, -1), 2));
        Tensor r = track(track(x.to(device(), dtype)).clamp(dtype.isFloating() ? -1.5 : -1, 2));
        assertEquals(dtype, r.dtype());
        assertExact("clamp " + dtype, ref.data, r);
    }

    @Test
    void clampPropagatesNaN() {
        Tensor x = upload(new HostTensor(new double[] {Double.NaN, 5, -5, Double.POSITIVE_INFINITY}, 4));
        assertEach("clamp", new double[] {Double.NaN, 1, -1, 1}, toDouble(track(x.clamp(-1, 1)).toFloatArray()), 0, false, seedNote());
    }

    // ---- casts ----

    static Stream<Arguments> castPairs() {
        List<Arguments> out = new ArrayList<>();
        for (DType from : DType.values()) for (DType to : DType.values()) out.add(Arguments.of(from, to));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("castPairs")
    void castBetweenDtypes(DType from, DType to) {
        Assumptions.assumeTrue(device().backend().dtypes().contains(from) && device().backend().dtypes().contains(to),
                "backend does not store " + from + " or " + to);
        double[] v;
        if (from.isFloating()) {
            // signed fractions (float to integer truncates toward zero), integral values and zeros; all fit F16
            v = HostTensor.uniform(rnd, -300, 300, 257).data;
            v[0] = 0;
            v[1] = -2.75;
            v[2] = 2.75;
            v[3] = -0.5;
            v[4] = 255;
        } else {
            v = HostTensor.randint(rnd, -1000, 1001, 257).data;
        }
        double[] held = Arrays.stream(v).map(x -> HostCodec.stored(x, from)).toArray();
        Tensor src = track(HostCodec.upload(device(), new HostTensor(v, v.length), from));
        Tensor r = track(src.to(to));
        assertEquals(to, r.dtype());
        double[] expected = Arrays.stream(held).map(x -> HostCodec.stored(to.isFloating() ? x : (double) (long) x, to)).toArray();
        assertEach("cast " + from + " to " + to, expected, HostCodec.decode(r), 0, false, seedNote());
    }
}
