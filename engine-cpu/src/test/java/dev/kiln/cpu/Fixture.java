package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.DType;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test scaffolding: device tensors from host values, NaN-poisoned outputs, host read-back, float64
 * references, a fresh seed per fixture (printed in every failure message), and a check that every
 * buffer was returned when the fixture closes.
 */
final class Fixture implements AutoCloseable {
    final CpuBackend backend;
    final long seed = System.nanoTime() ^ Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L;
    final Random rnd = new Random(seed);
    private final List<Buffer> buffers = new ArrayList<>();
    private final long baseline;

    Fixture(CpuBackend backend) {
        this.backend = backend;
        this.baseline = backend.bytesInUse();
    }

    /** The two flavours every kernel test runs on: Vector API kernels and scalar kernels. */
    static final CpuBackend VECTOR = new CpuBackend(true), SCALAR = new CpuBackend(false);

    static List<CpuBackend> backends() { return List.of(VECTOR, SCALAR); }

    String tag() { return "[seed " + seed + ", " + (backend.vectorized() ? "vector" : "scalar") + "]"; }

    static long numel(int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** The value {@code v} becomes when stored as {@code t} (what a reference must start from). */
    static double round(DType t, double v) {
        return switch (t) {
            case F32 -> (float) v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case BF16 -> bf16((float) v);
            case I32 -> (int) v;
            case I64 -> (long) v;
        };
    }

    private static double bf16(float f) {
        if (Float.isNaN(f)) return Double.NaN;
        int bits = Float.floatToRawIntBits(f);
        bits = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
        return Float.intBitsToFloat(bits);
    }

    private static void put(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
            case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits((float) bf16((float) v)) >>> 16));
        }
    }

    private static double get(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i) << 16);
        };
    }

    Buffer buffer(long elements, DType t) {
        Buffer b = backend.allocate(elements * t.byteSize());
        buffers.add(b);
        return b;
    }

    /** A contiguous tensor holding {@code values} (converted to t). */
    View tensor(DType t, double[] values, int... shape) {
        assertEquals(numel(shape), values.length);
        Buffer b = buffer(values.length, t);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(Math.max(1, values.length) * (long) t.byteSize());
            for (int i = 0; i < values.length; i++) put(host, t, i, values[i]);
            if (values.length > 0) backend.upload(host.asSlice(0, values.length * (long) t.byteSize()), b, 0);
        }
        return View.contiguous(b, t, 0, shape);
    }

    /** A view of {@code shape} whose axes are laid out in memory in the order {@code memoryOrder} (a permutation), poisoned. */
    View permuted(DType t, int[] shape, int[] memoryOrder) {
        int[] stored = new int[shape.length];
        for (int i = 0; i < shape.length; i++) stored[i] = shape[memoryOrder[i]];
        View v = empty(t, stored);
        int[] inverse = new int[shape.length];
        for (int i = 0; i < shape.length; i++) inverse[memoryOrder[i]] = i;
        return v.permute(inverse);
    }

    /** {@code values} (row-major in {@code shape}) stored with axes in memory order {@code memoryOrder}. */
    View permutedTensor(DType t, double[] values, int[] shape, int[] memoryOrder) {
        View v = permuted(t, shape, memoryOrder);
        write(v, values);
        return v;
    }

    /** A contiguous output filled with NaN (floats) or a sentinel (integers). */
    View empty(DType t, int... shape) {
        long n = numel(shape);
        Buffer b = buffer(n, t);
        poison(b, t, n);
        return View.contiguous(b, t, 0, shape);
    }

    void poison(Buffer b, DType t, long n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(b.byteSize());
            for (long i = 0; i < b.byteSize() / t.byteSize(); i++) put(host, t, i, t.isFloating() ? Double.NaN : -777_777);
            backend.upload(host, b, 0);
        }
    }

    /** Writes values (row-major in v's shape) through v's strides. */
    void write(View v, double[] values) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(v.buffer().byteSize());
            backend.download(v.buffer(), 0, host);
            forEach(v, (i, at) -> put(host, v.dtype(), at, values[(int) i]));
            backend.upload(host, v.buffer(), 0);
        }
    }

    /** The elements of v, row-major in its shape, following its strides. */
    double[] read(View v) {
        double[] out = new double[(int) v.numel()];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(v.buffer().byteSize());
            backend.download(v.buffer(), 0, host);
            forEach(v, (i, at) -> out[(int) i] = get(host, v.dtype(), at));
        }
        return out;
    }

    interface ElementVisitor {
        void visit(long rowMajorIndex, long elementOffset);
    }

    /** Visits v's elements in row-major order with their element offsets (plain host code, independent of the backend). */
    static void forEach(View v, ElementVisitor f) {
        int r = v.rank();
        int[] idx = new int[r];
        long n = v.numel();
        for (long i = 0; i < n; i++) {
            long at = v.offset();
            for (int d = 0; d < r; d++) at += idx[d] * v.strides()[d];
            f.visit(i, at);
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < v.shape()[d]) break;
                idx[d] = 0;
            }
        }
    }

    double[] gaussian(int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextGaussian() * scale;
        return x;
    }

    double[] uniform(int n, double lo, double hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * rnd.nextDouble();
        return x;
    }

    double[] integers(int n, int lo, int hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = lo + rnd.nextInt(hi - lo);
        return x;
    }

    static double[] round(DType t, double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = round(t, v[i]);
        return r;
    }

    /** Asserts ||out - ref|| / ||ref|| <= tol; NaN in out passes only where ref is NaN too. */
    void assertClose(double[] ref, double[] out, double tol, String what) {
        assertEquals(ref.length, out.length, what + " length " + tag());
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            boolean rn = Double.isNaN(ref[i]), on = Double.isNaN(out[i]);
            if (rn || on) {
                if (rn != on) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " " + tag());
                continue;
            }
            if (Double.isInfinite(ref[i]) || Double.isInfinite(out[i])) {
                if (ref[i] != out[i]) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " " + tag());
                continue;
            }
            num += (out[i] - ref[i]) * (out[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        double err = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        if (!(err <= tol)) fail(what + ": relative error " + err + " above " + tol + " " + tag());
    }

    /**
     * For results that may cancel (alpha a@b + beta c): the L2 error against {@code scale}, the same
     * expression over absolute values, which is what float32 arithmetic is accurate relative to.
     */
    void assertCloseToScale(double[] ref, double[] scale, double[] out, double tol, String what) {
        assertEquals(ref.length, out.length, what + " length " + tag());
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (!Double.isFinite(out[i])) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " " + tag());
            num += (out[i] - ref[i]) * (out[i] - ref[i]);
            den += scale[i] * scale[i];
        }
        double err = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        if (!(err <= tol)) fail(what + ": error " + err + " of the terms' scale, above " + tol + " " + tag());
    }

    void assertExact(double[] ref, double[] out, String what) {
        assertEquals(ref.length, out.length, what + " length " + tag());
        for (int i = 0; i < ref.length; i++) {
            if (Double.compare(ref[i], out[i]) != 0 && !(ref[i] == 0 && out[i] == 0)) {
                fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " " + tag());
            }
        }
    }

    /** Relative tolerance for results stored as t, computed from exact inputs. */
    static double tol(DType t) {
        return switch (t) {
            case F32 -> 2e-6;
            case F16 -> 2e-3;
            case BF16 -> 1e-2;
            default -> 0;
        };
    }

    @Override
    public void close() {
        for (Buffer b : buffers) backend.free(b);
        buffers.clear();
        assertEquals(baseline, backend.bytesInUse(), "bytes in use after freeing every buffer " + tag());
    }
}
