package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.DType;
import dev.kiln.DeviceOutOfMemoryException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The primitives on a real device against float64 host references. Skipped with the provider's reason
 * where no CUDA device, driver, cuBLAS or NVRTC is present. The conformance kit (engine-tck) will extend
 * this coverage once it exists.
 */
class CudaBackendDeviceTest {
    private static Backend backend;
    private static String unavailable;
    private static final long SEED = 0x5EED_2026L;
    private final List<Buffer> buffers = new ArrayList<>();
    private long baseline;

    @BeforeAll
    static void open() {
        Optional<String> reason = new CudaProvider().unavailableReason();
        if (reason.isPresent()) unavailable = "CUDA unavailable: " + reason.get();
        else backend = new CudaProvider().open(0);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    @BeforeEach
    void recordBaseline() {
        assumeTrue(backend != null, unavailable);   // each test is reported skipped with the provider's reason
        baseline = backend.bytesInUse();
    }

    @AfterEach
    void freeAndCheckBaseline() {
        if (backend == null) return;
        for (Buffer b : buffers) backend.free(b);
        buffers.clear();
        assertEquals(baseline, backend.bytesInUse(), "device bytes in use must return to their starting value");
    }

    // ---- helpers ----

    private Buffer alloc(long bytes) {
        Buffer b = backend.allocate(bytes);
        buffers.add(b);
        return b;
    }

    private View upload(float[] data, int... shape) {
        Buffer b = alloc(data.length * 4L);
        backend.upload(MemorySegment.ofArray(data), b, 0);
        return View.contiguous(b, DType.F32, 0, shape);
    }

    private View uploadInts(long[] data, DType t, int... shape) {
        Buffer b = alloc(data.length * (long) t.byteSize());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(data.length * (long) t.byteSize());
            for (int i = 0; i < data.length; i++) {
                if (t == DType.I64) s.setAtIndex(ValueLayout.JAVA_LONG, i, data[i]);
                else s.setAtIndex(ValueLayout.JAVA_INT, i, (int) data[i]);
            }
            backend.upload(s, b, 0);
        }
        return View.contiguous(b, t, 0, shape);
    }

    /** A fresh output poisoned with NaN (or -1 for integers), so an element not written cannot pass. */
    private View output(DType t, int... shape) {
        long n = 1;
        for (int s : shape) n *= s;
        View v = View.contiguous(alloc(Math.max(1, n) * t.byteSize()), t, 0, shape);
        backend.fill(v, t.isFloating() ? Double.NaN : -1);
        return v;
    }

    private float[] download(View v) {
        float[] out = new float[(int) v.numel()];
        backend.download(v.buffer(), v.offset() * 4, MemorySegment.ofArray(out));
        return out;
    }

    private long[] downloadInts(View v) {
        long[] out = new long[(int) v.numel()];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(out.length * (long) v.dtype().byteSize());
            backend.download(v.buffer(), v.offset() * v.dtype().byteSize(), s);
            for (int i = 0; i < out.length; i++) {
                out[i] = v.dtype() == DType.I64 ? s.getAtIndex(ValueLayout.JAVA_LONG, i) : s.getAtIndex(ValueLayout.JAVA_INT, i);
            }
        }
        return out;
    }

    private static float[] random(Random rnd, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (rnd.nextGaussian() * scale);
        return f;
    }

    private static void assertClose(double[] ref, float[] out, double tol, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            assertFalse(Float.isNaN(out[i]) && !Double.isNaN(ref[i]), what + ": NaN at " + i + " (seed " + SEED + ")");
            if (Double.isNaN(ref[i])) {
                assertTrue(Float.isNaN(out[i]), what + ": expected NaN at " + i);
                continue;
            }
            num += (out[i] - ref[i]) * (out[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        assertTrue(rel <= tol, what + ": relative error " + rel + " above " + tol + " (seed " + SEED + ")");
    }

    private static double erf(double x) {
        // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|x| small) or use erfc asymptotics
        double t = Math.abs(x), sum = t, term = t;
        for (int n = 1; n < 200; n++) {
            term *= -t * t / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        double r = 2 / Math.sqrt(Math.PI) * sum;
        return x < 0 ? -r : r;
    }

    // ---- tests ----

    @Test
    void unaryFloatOpsOnATransposedView() {
        Random rnd = new Random(SEED);
        int r = 7, c = 19;
        float[] x = random(rnd, r * c, 1.5);
        View xv = upload(x, r, c).permute(1, 0);   // [c, r], strided
        for (UnaryOp op : UnaryOp.values()) {
            DoubleUnaryOperator f = switch (op) {
                case COPY -> v -> v; case NEG -> v -> -v; case ABS -> Math::abs; case SIGN -> Math::signum;
                case SQUARE -> v -> v * v; case NOT -> v -> v == 0 ? 1 : 0; case EXP -> Math::exp;
                case LOG -> v -> Math.log(Math.abs(v)); case LOG1P -> v -> Math.log1p(Math.abs(v));
                case EXPM1 -> Math::expm1; case SQRT -> v -> Math.sqrt(Math.abs(v)); case RSQRT -> v -> 1 / Math.sqrt(Math.abs(v));
                case RECIPROCAL -> v -> 1 / v; case SIN -> Math::sin; case COS -> Math::cos; case TANH -> Math::tanh;
                case SIGMOID -> v -> 1 / (1 + Math.exp(-v)); case ERF -> CudaBackendDeviceTest::erf;
                case RELU -> v -> Math.max(v, 0); case GELU -> v -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                case GELU_TANH -> v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                case SILU -> v -> v / (1 + Math.exp(-v)); case FLOOR -> Math::floor; case CEIL -> Math::ceil; case ROUND -> Math::rint;
            };
            boolean positiveOnly = op == UnaryOp.LOG || op == UnaryOp.LOG1P || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            View in = xv;
            if (positiveOnly) {
                in = output(DType.F32, c, r);
                backend.unary(UnaryOp.ABS, xv, in);
            }
            View out = output(DType.F32, c, r);
            backend.unary(op, in, out);
            double[] ref = new double[r * c];
            for (int i = 0; i < c; i++) for (int j = 0; j < r; j++) ref[i * r + j] = f.applyAsDouble(x[j * c + i]);
            assertClose(ref, download(out), 1e-5, "unary " + op);
        }
    }

    @Test
    void castsBetweenDtypes() {
        float[] x = {-2.7f, -0.5f, 0f, 0.5f, 1.5f, 2.5f, 65504f, 1e-8f, 3.3e38f};
        View xv = upload(x, x.length);
        View i32 = output(DType.I32, x.length), i64 = output(DType.I64, x.length);
        backend.unary(UnaryOp.COPY, xv, i32);
        backend.unary(UnaryOp.COPY, xv, i64);
        long[] gi = downloadInts(i32), gl = downloadInts(i64);
        for (int i = 0; i < x.length; i++) {
            assertEquals((int) x[i], gi[i], "F32->I32 " + x[i]);
            assertEquals((long) x[i], gl[i], "F32->I64 " + x[i]);
        }
        View h = output(DType.F16, x.length), back = output(DType.F32, x.length);
        backend.unary(UnaryOp.COPY, xv, h);
        backend.unary(UnaryOp.COPY, h, back);
        float[] hb = download(back);
        for (int i = 0; i < x.length; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(x[i])), hb[i], "F16 " + x[i]);
        View bf = output(DType.BF16, x.length);
        backend.unary(UnaryOp.COPY, xv, bf);
        backend.unary(UnaryOp.COPY, bf, back);
        float[] bb = download(back);
        for (int i = 0; i < x.length; i++) {
            int u = Float.floatToRawIntBits(x[i]);
            float expect = Float.intBitsToFloat(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16);
            assertEquals(expect, bb[i], "BF16 " + x[i]);
        }
    }

    @Test
    void binaryFloatOpsWithBroadcasting() {
        Random rnd = new Random(SEED + 1);
        float[] a = random(rnd, 7 * 5, 2), b = random(rnd, 3 * 5, 2);
        View av = upload(a, 7, 1, 5).broadcastTo(new int[] {7, 3, 5});
        View bv = upload(b, 3, 5).broadcastTo(new int[] {7, 3, 5});
        for (BinaryOp op : BinaryOp.values()) {
            DoubleBinaryOperator f = switch (op) {
                case ADD -> Double::sum; case SUB -> (p, q) -> p - q; case MUL -> (p, q) -> p * q; case DIV -> (p, q) -> p / q;
                case MOD -> (p, q) -> p - Math.floor(p / q) * q; case POW -> (p, q) -> Math.pow(Math.abs(p), q);
                case MAXIMUM -> Math::max; case MINIMUM -> Math::min;
                case EQ -> (p, q) -> p == q ? 1 : 0; case NE -> (p, q) -> p != q ? 1 : 0; case LT -> (p, q) -> p < q ? 1 : 0;
                case LE -> (p, q) -> p <= q ? 1 : 0; case GT -> (p, q) -> p > q ? 1 : 0; case GE -> (p, q) -> p >= q ? 1 : 0;
                case AND -> (p, q) -> p != 0 && q != 0 ? 1 : 0; case OR -> (p, q) -> p != 0 || q != 0 ? 1 : 0;
            };
            View left = av;
            if (op == BinaryOp.POW) {
                left = output(DType.F32, 7, 3, 5);
                backend.unary(UnaryOp.ABS, av, left);
            }
            View out = output(DType.F32, 7, 3, 5);
            backend.binary(op, left, bv, out);
            double[] ref = new double[7 * 3 * 5];
            for (int i = 0; i < 7; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 5; k++) {
                ref[(i * 3 + j) * 5 + k] = f.applyAsDouble(a[i * 5 + k], b[j * 5 + k]);
            }
            assertClose(ref, download(out), 1e-5, "binary " + op);
        }
    }

    @Test
    void integerFloorDivisionAndModulo() {
        long[] a = {7, -7, 7, -7, 0, 13, -13, 5};
        long[] b = {2, 2, -2, -2, 3, 5, 5, 1};
        for (DType t : List.of(DType.I32, DType.I64)) {
            View av = uploadInts(a, t, a.length), bv = uploadInts(b, t, b.length);
            View q = output(t, a.length), m = output(t, a.length), lt = output(DType.F32, a.length);
            backend.binary(BinaryOp.DIV, av, bv, q);
            backend.binary(BinaryOp.MOD, av, bv, m);
            backend.binary(BinaryOp.LT, av, bv, lt);
            long[] gq = downloadInts(q), gm = downloadInts(m);
            float[] gl = download(lt);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Math.floorDiv(a[i], b[i]), gq[i], t + " " + a[i] + " // " + b[i]);
                assertEquals(Math.floorMod(a[i], b[i]), gm[i], t + " " + a[i] + " % " + b[i]);
                assertEquals(a[i] < b[i] ? 1f : 0f, gl[i]);
            }
        }
    }

    @Test
    void reductionsAlongEachAxis() {
        Random rnd = new Random(SEED + 2);
        int[] shape = {7, 129, 3};
        float[] x = random(rnd, 7 * 129 * 3, 1);
        View xv = upload(x, shape);
        for (int axis = 0; axis < 3; axis++) {
            int[] os = shape.clone();
            os[axis] = 1;
            for (ReduceOp op : List.of(ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PROD)) {
                View out = output(DType.F32, os);
                backend.reduce(op, xv, out);
                double[] ref = new double[os[0] * os[1] * os[2]];
                java.util.Arrays.fill(ref, op == ReduceOp.SUM ? 0 : op == ReduceOp.PROD ? 1 : op == ReduceOp.MAX ? -1e300 : 1e300);
                for (int i = 0; i < 7; i++) for (int j = 0; j < 129; j++) for (int k = 0; k < 3; k++) {
                    int[] o = {i, j, k};
                    o[axis] = 0;
                    int oi = (o[0] * os[1] + o[1]) * os[2] + o[2];
                    double v = x[(i * 129 + j) * 3 + k];
                    ref[oi] = switch (op) {
                        case SUM -> ref[oi] + v; case PROD -> ref[oi] * v; case MAX -> Math.max(ref[oi], v); default -> Math.min(ref[oi], v);
                    };
                }
                assertClose(ref, download(out), 1e-5, "reduce " + op + " axis " + axis);
            }
        }
    }

    @Test
    void argmaxBreaksTiesTowardTheFirstIndexAndPicksTheFirstNaN() {
        float[] x = {1, 3, 3, 2, /**/ 5, 5, 5, 5, /**/ 0, Float.NaN, 9, Float.NaN};
        View xv = upload(x, 3, 4);
        View am = output(DType.I64, 3, 1), an = output(DType.I32, 3, 1), mx = output(DType.F32, 3, 1);
        backend.reduce(ReduceOp.ARGMAX, xv, am);
        backend.reduce(ReduceOp.ARGMIN, xv, an);
        backend.reduce(ReduceOp.MAX, xv, mx);
        assertArrayEquals(new long[] {1, 0, 1}, downloadInts(am));
        assertArrayEquals(new long[] {0, 0, 1}, downloadInts(an));
        float[] m = download(mx);
        assertEquals(3f, m[0]);
        assertEquals(5f, m[1]);
        assertTrue(Float.isNaN(m[2]));
    }

    @Test
    void matmulWithTransposesBroadcastAndBeta() {
        Random rnd = new Random(SEED + 3);
        int bt = 3, m = 7, k = 129, n = 5;
        float[] a = random(rnd, bt * k * m, 1), b = random(rnd, k * n, 1), c0 = random(rnd, bt * m * n, 1);
        View at = upload(a, bt, k, m).permute(0, 2, 1);                       // a given transposed
        View bb = upload(b, 1, k, n).broadcastTo(new int[] {bt, k, n});       // one b for every batch
        View cv = upload(c0.clone(), bt, m, n);
        float alpha = 0.75f, beta = 0.5f;
        backend.matmul(at, bb, cv, alpha, beta);
        double[] ref = new double[bt * m * n];
        for (int p = 0; p < bt; p++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int l = 0; l < k; l++) s += (double) a[(p * k + l) * m + i] * b[l * n + j];
            ref[(p * m + i) * n + j] = alpha * s + beta * c0[(p * m + i) * n + j];
        }
        assertClose(ref, download(cv), ((CudaBackend) backend).precision().tolerance(), "matmul");
    }

    @Test
    void matmulIgnoresNaNInCWhenBetaIsZero() {
        View a = upload(new float[] {1, 2, 3, 4}, 1, 2, 2), b = upload(new float[] {1, 0, 0, 1}, 1, 2, 2);
        View c = output(DType.F32, 1, 2, 2);   // NaN-poisoned
        backend.matmul(a, b, c, 1f, 0f);
        assertArrayEquals(new float[] {1, 2, 3, 4}, download(c));
    }

    @Test
    void randomNumbersAreTheSameAsPhilox() {
        int n = 1001;
        long offset = 12345;
        View u = output(DType.F32, n), g = output(DType.F32, 7, 143);
        backend.random(Distribution.UNIFORM, SEED, offset, u);
        backend.random(Distribution.NORMAL, SEED, offset, g);
        float[] gu = download(u), gn = download(g);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(Philox.uniform(SEED, offset, i)), Float.floatToRawIntBits(gu[i]), "uniform " + i);
            float expect = Philox.normal(SEED, offset, i);
            assertTrue(Math.abs(expect - gn[i]) <= Math.ulp(expect), "normal " + i + ": " + gn[i] + " vs " + expect);
        }
    }

    @Test
    void gatherAndScatterAddWithDuplicateIndices() {
        float[] src = {10, 11, 12, 20, 21, 22};
        View sv = upload(src, 2, 3);
        for (DType it : List.of(DType.I32, DType.I64)) {
            View idx = uploadInts(new long[] {2, 2, 0, 1}, it, 2, 2);
            View out = output(DType.F32, 2, 2);
            backend.gather(sv, 1, idx, out);
            assertArrayEquals(new float[] {12, 12, 20, 21}, download(out));
            View acc = output(DType.F32, 2, 3);
            backend.fill(acc, 0);
            View vals = upload(new float[] {1, 2, 3, 4}, 2, 2);
            backend.scatterAdd(vals, 1, idx, acc);
            assertArrayEquals(new float[] {0, 0, 3, 3, 4, 0}, download(acc));
        }
    }

    @Test
    void outOfMemoryIsTypedAndTheDeviceStaysUsable() {
        assertThrows(DeviceOutOfMemoryException.class, () -> backend.allocate(1L << 50));
        View v = output(DType.F32, 3);
        backend.fill(v, 2);
        assertArrayEquals(new float[] {2, 2, 2}, download(v));
    }

    @Test
    void eightThreadsWithTheirOwnStreamsGiveTheSameBits() throws Exception {
        Random rnd = new Random(SEED + 4);
        float[] a = random(rnd, 64 * 129, 1), b = random(rnd, 129 * 33, 1);
        View av = upload(a, 1, 64, 129), bv = upload(b, 1, 129, 33);
        backend.synchronize();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    Buffer cb = backend.allocate(64 * 33 * 4), sb = backend.allocate(64 * 4);
                    try {
                        View c = View.contiguous(cb, DType.F32, 0, 1, 64, 33), s = View.contiguous(sb, DType.F32, 0, 1, 64, 1);
                        backend.matmul(av, bv, c, 1f, 0f);
                        backend.reduce(ReduceOp.SUM, c, s);
                        float[] out = new float[64];
                        backend.download(sb, 0, MemorySegment.ofArray(out));
                        return out;
                    } finally {
                        backend.free(cb);
                        backend.free(sb);
                    }
                }));
            }
            float[] first = results.get(0).get();
            for (Future<float[]> f : results) assertArrayEquals(first, f.get());
        } finally {
            pool.shutdown();
        }
    }
}
