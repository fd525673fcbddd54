package dev.kiln;

import java.util.Arrays;

/** An immutable list of non-negative dimensions. A rank-0 shape is a scalar. */
public final class Shape {
    /** Largest element count a tensor may have: big enough for any model, small enough to catch overflow. */
    public static final long MAX_ELEMENTS = 1L << 40;

    private final int[] dims;
    private final long numel;

    private Shape(int[] dims) {
        this.dims = dims;
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new ShapeException("shape " + Arrays.toString(dims) + ": dimensions must be >= 0");
            n = Math.multiplyExact(n, d);
            if (n > MAX_ELEMENTS) {
                throw new ShapeException("shape " + Arrays.toString(dims) + ": more than 2^40 elements");
            }
        }
        this.numel = n;
    }

    public static Shape of(int... dims) { return new Shape(dims.clone()); }

    public static Shape scalar() { return new Shape(new int[0]); }

    public int rank() { return dims.length; }

    public int dim(int axis) { return dims[normalizeAxis(axis)]; }

    public int[] dims() { return dims.clone(); }

    public long numel() { return numel; }

    /** Resolves a negative axis (-1 = last) and checks the range. */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new ShapeException("axis " + axis + " is out of range for shape " + this);
        }
        return a;
    }

    /** Row-major strides in elements. */
    public long[] contiguousStrides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** NumPy broadcasting of two shapes; null if they do not broadcast. */
    public static Shape broadcast(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da == db || db == 1) out[i] = da;
            else if (da == 1) out[i] = db;
            else return null;
        }
        return new Shape(out);
    }

    @Override
    public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override
    public int hashCode() { return Arrays.hashCode(dims); }

    @Override
    public String toString() { return Arrays.toString(dims); }
}
