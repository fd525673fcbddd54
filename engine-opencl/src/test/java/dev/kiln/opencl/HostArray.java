package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.spi.Backend;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * A device buffer and its host mirror: {@code data} holds every element of the buffer (as the dtype
 * stores it, widened to double), and {@code view} is a strided window into it. Outputs start
 * poisoned (NaN, or a sentinel for integers), so elements a kernel forgets or writes outside the
 * view show up.
 */
final class HostArray implements AutoCloseable {
    static final long INT_POISON = -77_777;

    final Backend backend;
    final DType dtype;
    final double[] data;
    final View view;
    final Buffer buffer;

    HostArray(Backend backend, DType dtype, int capacity, long offset, int[] shape, long[] strides) {
        this.backend = backend;
        this.dtype = dtype;
        this.data = new double[capacity];
        this.buffer = backend.allocate((long) capacity * dtype.byteSize());
        this.view = new View(buffer, dtype, offset, shape, strides);
    }

    /** A contiguous array. */
    static HostArray contiguous(Backend backend, DType dtype, int... shape) {
        View v = View.contiguous(null, dtype, 0, shape);
        return new HostArray(backend, dtype, (int) Math.max(1, v.numel()), 0, shape, v.strides());
    }

    /**
     * A randomly laid-out array of {@code shape}: contiguous, or with its axes stored in a shuffled
     * order, every other element (step 2) and a leading offset.
     */
    static HostArray strided(Backend backend, DType dtype, Random rnd, int... shape) {
        int r = shape.length;
        int[] order = new int[r];
        for (int i = 0; i < r; i++) order[i] = i;
        for (int i = r - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        long[] strides = new long[r];
        long acc = 1;
        for (int k = r - 1; k >= 0; k--) {             // order[k] is the k-th axis in memory, innermost last
            int axis = order[k];
            int step = rnd.nextInt(3) == 0 ? 2 : 1;
            strides[axis] = acc * step;
            acc *= (long) Math.max(1, shape[axis]) * step;
        }
        long offset = rnd.nextInt(4);
        return new HostArray(backend, dtype, (int) (acc + offset), offset, shape, strides);
    }

    /** This array seen with stride 0 on the axes where {@code shape} is 1 and {@code target} is not. */
    View broadcastTo(int[] target) { return view.broadcastTo(target); }

    int numel() { return (int) view.numel(); }

    /** Linear element index (row-major in the view) to buffer position. */
    int position(long i) { return new Index(view).position(i); }

    /** Buffer positions of a view's elements (row-major), for views made by broadcasting. */
    record Index(View view) {
        int position(long i) {
            long pos = view.offset();
            int[] sh = view.shape();
            for (int d = sh.length - 1; d >= 0; d--) {
                pos += (i % sh[d]) * view.strides()[d];
                i /= sh[d];
            }
            return (int) pos;
        }
    }

    double get(long i) { return data[position(i)]; }

    void set(long i, double v) { data[position(i)] = round(dtype, v); }

    /** Fills the whole buffer with values drawn from [lo, hi) (integers: whole numbers). */
    HostArray random(Random rnd, double lo, double hi) {
        for (int i = 0; i < data.length; i++) data[i] = round(dtype, lo + (hi - lo) * rnd.nextDouble());
        return upload();
    }

    HostArray poison() {
        java.util.Arrays.fill(data, dtype.isFloating() ? Double.NaN : INT_POISON);
        return upload();
    }

    HostArray upload() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) data.length * dtype.byteSize());
            for (int i = 0; i < data.length; i++) write(seg, i, data[i]);
            backend.upload(seg, buffer, 0);
        }
        return this;
    }

    /** Reads the whole buffer back into {@code data}. */
    HostArray download() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) data.length * dtype.byteSize());
            backend.download(buffer, 0, seg);
            for (int i = 0; i < data.length; i++) data[i] = read(seg, i);
        }
        return this;
    }

    /** The view's elements in row-major order. */
    double[] values() {
        double[] v = new double[numel()];
        for (int i = 0; i < v.length; i++) v[i] = get(i);
        return v;
    }

    /** Buffer positions outside the view still hold the poison. */
    boolean untouchedOutsideView() {
        boolean[] inView = new boolean[data.length];
        for (int i = 0; i < numel(); i++) inView[position(i)] = true;
        for (int p = 0; p < data.length; p++) {
            if (inView[p]) continue;
            if (dtype.isFloating() ? !Double.isNaN(data[p]) : data[p] != INT_POISON) return false;
        }
        return true;
    }

    private void write(MemorySegment seg, int i, double v) {
        switch (dtype) {
            case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case I32 -> seg.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
            case I64 -> seg.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
            case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
            case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i, HostFloats.toBf16((float) v));
        }
    }

    private double read(MemorySegment seg, int i) {
        return switch (dtype) {
            case F32 -> seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case I32 -> seg.getAtIndex(ValueLayout.JAVA_INT, i);
            case I64 -> seg.getAtIndex(ValueLayout.JAVA_LONG, i);
            case F16 -> Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case BF16 -> HostFloats.fromBf16(seg.getAtIndex(ValueLayout.JAVA_SHORT, i));
        };
    }

    /** {@code v} as {@code dtype} stores it: float rounding, or integer truncation toward zero (Java casts). */
    static double round(DType dtype, double v) {
        return switch (dtype) {
            case F32 -> (float) v;
            case I32 -> (double) (int) Math.floor(v);
            case I64 -> (double) (long) Math.floor(v);
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case BF16 -> HostFloats.fromBf16(HostFloats.toBf16((float) v));
        };
    }

    /** A cast as the backend does it: float to integer truncates toward zero, saturating; NaN becomes 0. */
    static double cast(DType to, double v) {
        return switch (to) {
            case I32 -> (double) (int) v;
            case I64 -> (double) (long) v;
            default -> round(to, v);
        };
    }

    @Override
    public void close() { backend.free(buffer); }
}
