package dev.kiln.spi;

import dev.kiln.DType;
import java.util.Arrays;

/**
 * What a primitive sees of a tensor: a buffer, an element type, and an N-dimensional strided window
 * into the buffer. {@code offset} and {@code strides} count elements, not bytes. A stride of 0
 * repeats an element (broadcasting); strides may be in any order (permute, transpose) and any
 * positive step (slices, convolution windows). Element {@code (i0, ..., iR-1)} lives at
 * {@code offset + sum(ik * strides[k])}.
 */
public record View(Buffer buffer, DType dtype, long offset, int[] shape, long[] strides) {

    public View {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("view rank mismatch: shape " + Arrays.toString(shape)
                    + " strides " + Arrays.toString(strides));
        }
    }

    /** A row-major view of {@code shape} starting at {@code offset}. */
    public static View contiguous(Buffer buffer, DType dtype, long offset, int... shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return new View(buffer, dtype, offset, shape, s);
    }

    public int rank() { return shape.length; }

    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** True when the elements are laid out row-major without gaps from {@code offset}. */
    public boolean isContiguous() {
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    /** The same elements seen with reordered axes: new axis i is old axis {@code order[i]}. */
    public View permute(int... order) {
        int[] sh = new int[order.length];
        long[] st = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            sh[i] = shape[order[i]];
            st[i] = strides[order[i]];
        }
        return new View(buffer, dtype, offset, sh, st);
    }

    /** Broadcasts this view to {@code target} (NumPy rules, leading axes added): repeated axes get stride 0. */
    public View broadcastTo(int[] target) {
        int r = target.length;
        if (r < shape.length) throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        long[] st = new long[r];
        for (int i = 0; i < r; i++) {
            int j = i - (r - shape.length);
            if (j < 0) continue;
            if (shape[j] == target[i]) st[i] = strides[j];
            else if (shape[j] == 1) st[i] = 0;
            else throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        }
        return new View(buffer, dtype, offset, target.clone(), st);
    }

    /** The byte range [first, last] this view touches, for bounds checks; {-1, -1} when empty. */
    public long[] elementSpan() {
        if (numel() == 0) return new long[] {-1, -1};
        long lo = offset, hi = offset;
        for (int i = 0; i < shape.length; i++) {
            long ext = (long) (shape[i] - 1) * strides[i];
            if (ext < 0) lo += ext; else hi += ext;
        }
        return new long[] {lo, hi};
    }

    @Override
    public String toString() {
        return "View[" + dtype + " " + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " +" + offset + "]";
    }
}
