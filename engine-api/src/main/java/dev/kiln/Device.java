package dev.kiln;

import dev.kiln.spi.Backend;
import dev.kiln.spi.Distribution;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One device of one backend, and the place tensors are made. Obtain with {@link Kiln#device(String)}. */
public final class Device {
    private final String name;
    private final Backend backend;

    Device(String name, Backend backend) {
        this.name = name;
        this.backend = backend;
    }

    public String name() { return name; }

    /** The backend behind this device, for plugin code and fast paths. */
    public Backend backend() { return backend; }

    public String description() { return backend.description(); }

    /** Device bytes held by live tensors (cached blocks excluded). */
    public long bytesInUse() { return backend.bytesInUse(); }

    /** Waits for all work this thread enqueued on the device. */
    public void synchronize() { backend.synchronize(); }

    // ---- creation ----

    /** A tensor whose contents are undefined: reading it before writing throws UninitializedTensorException. */
    public Tensor empty(DType dtype, int... dims) { return Tensor.allocate(this, dtype, shape("empty", dims)); }

    public Tensor zeros(int... dims) { return filled("zeros", DType.F32, 0, dims); }

    public Tensor zeros(DType dtype, int... dims) { return filled("zeros", dtype, 0, dims); }

    public Tensor ones(int... dims) { return filled("ones", DType.F32, 1, dims); }

    public Tensor full(double value, int... dims) { return filled("full", DType.F32, value, dims); }

    public Tensor full(DType dtype, double value, int... dims) { return filled("full", dtype, value, dims); }

    /** The shape of {@code dims}, or a ShapeException that names {@code op}. */
    private static Shape shape(String op, int[] dims) {
        try {
            return Shape.of(dims);
        } catch (ShapeException e) {
            throw new ShapeException(op + ": " + e.getMessage());
        }
    }

    private Tensor filled(String op, DType dtype, double value, int[] dims) {
        Tensor t = Tensor.allocate(this, dtype, shape(op, dims));
        if (t.numel() > 0) backend.fill(t.view(), value);
        return t.markWritten();
    }

    public Tensor scalar(double value) { return full(DType.F32, value); }

    /** {@code [start, start + step, ...]} below {@code end}, as {@code torch.arange}. */
    public Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || Double.isNaN(start) || Double.isNaN(end) || Double.isNaN(step)) {
            throw new ShapeException("arange: step must be nonzero and bounds finite, got " + start + ", " + end + ", " + step);
        }
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        if (n > Integer.MAX_VALUE) throw new ShapeException("arange: " + n + " elements is too many for one axis");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(n * dtype.byteSize(), 64);
            for (long i = 0; i < n; i++) HostData.put(seg, dtype, i, start + i * step);
            return fromSegment(seg, dtype, (int) n);
        }
    }

    /** {@code 0, 1, ..., n-1} as I64. */
    public Tensor arange(int n) { return arange(DType.I64, 0, n, 1); }

    public Tensor fromArray(float[] data, int... dims) {
        checkCount("fromArray", data.length, dims);
        return fromSegment(MemorySegment.ofArray(data), DType.F32, dims);
    }

    public Tensor fromArray(int[] data, int... dims) {
        checkCount("fromArray", data.length, dims);
        return fromSegment(MemorySegment.ofArray(data), DType.I32, dims);
    }

    public Tensor fromArray(long[] data, int... dims) {
        checkCount("fromArray", data.length, dims);
        return fromSegment(MemorySegment.ofArray(data), DType.I64, dims);
    }

    /** Copies {@code data} (native byte order, row-major) into a new tensor. */
    public Tensor fromSegment(MemorySegment data, DType dtype, int... dims) {
        Shape shape = shape("fromSegment", dims);
        long bytes = shape.numel() * dtype.byteSize();
        if (data.byteSize() != bytes) {
            throw new ShapeException("fromSegment: " + data.byteSize() + " bytes given for " + dtype + " " + shape + ", expected " + bytes);
        }
        Tensor t = Tensor.allocate(this, dtype, shape);
        if (bytes > 0) backend.upload(data, t.view().buffer(), 0);
        return t.markWritten();
    }

    /** Uniform on [0, 1), F32. */
    public Tensor rand(Generator g, int... dims) { return random("rand", Distribution.UNIFORM, g, dims); }

    /** Standard normal, F32. */
    public Tensor randn(Generator g, int... dims) { return random("randn", Distribution.NORMAL, g, dims); }

    private Tensor random(String op, Distribution d, Generator g, int... dims) {
        Tensor t = Tensor.allocate(this, DType.F32, shape(op, dims));
        long offset = g.reserve(d, t.numel());
        if (t.numel() > 0) backend.random(d, g.seed(), offset, t.view());
        return t.markWritten();
    }

    private static void checkCount(String op, long n, int[] dims) {
        Shape s = shape(op, dims);
        if (s.numel() != n) throw new ShapeException(op + ": " + n + " values given for shape " + s + ", expected " + s.numel());
    }

    @Override
    public String toString() { return name; }

    /** Host-side element access used by creation and read-back. */
    static final class HostData {
        private HostData() {}

        static void put(MemorySegment seg, DType t, long i, double v) {
            switch (t) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                case I32 -> seg.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
                case I64 -> seg.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i, toBf16((float) v));
            }
        }

        static short toBf16(float f) {
            int bits = Float.floatToRawIntBits(f);
            if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
            int rounding = 0x7FFF + ((bits >>> 16) & 1);
            return (short) ((bits + rounding) >>> 16);
        }
    }
}
