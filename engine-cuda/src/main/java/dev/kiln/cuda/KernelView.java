package dev.kiln.cuda;

import dev.kiln.ShapeException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.View;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The strided layout a kernel receives, packed as the {@code KView} struct of kiln_common.cuh:
 * {@code i64 offset; i64 stride[8]; int shape[8]; int rank; int pad;} (112 bytes, little-endian).
 */
public record KernelView(long offset, int[] shape, long[] strides) {
    public static final int BYTES = 112;

    public static KernelView of(View v) { return new KernelView(v.offset(), v.shape(), v.strides()); }

    public byte[] pack() {
        if (shape.length > Backend.MAX_RANK) {
            throw new ShapeException("CUDA kernels take views of rank up to " + Backend.MAX_RANK + ", got shape "
                    + Arrays.toString(shape));
        }
        ByteBuffer bb = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(offset);
        for (int i = 0; i < Backend.MAX_RANK; i++) bb.putLong(i < strides.length ? strides[i] : 0);
        for (int i = 0; i < Backend.MAX_RANK; i++) bb.putInt(i < shape.length ? shape[i] : 1);
        bb.putInt(shape.length);
        bb.putInt(0);
        return bb.array();
    }

    /**
     * Views of one shape with that shape simplified for indexing: axes of extent 1 dropped and neighbours
     * merged where every view steps through them as one axis. Element order (row-major) is unchanged.
     * Offsets stay with each view; the result keeps at least one axis.
     */
    public static KernelView[] coalesce(int[] shape, View... views) {
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) if (shape[d] != 1) dims.add(d);
        List<Long> mergedShape = new ArrayList<>();
        List<long[]> mergedStrides = new ArrayList<>();
        for (int d : dims) {
            long ext = shape[d];
            if (!mergedShape.isEmpty()) {
                int last = mergedShape.size() - 1;
                long lastExt = mergedShape.get(last);
                boolean mergeable = lastExt * ext <= Integer.MAX_VALUE;
                for (int v = 0; v < views.length && mergeable; v++) {
                    mergeable = mergedStrides.get(last)[v] == views[v].strides()[d] * ext;
                }
                if (mergeable) {
                    mergedShape.set(last, lastExt * ext);
                    long[] st = mergedStrides.get(last);
                    for (int v = 0; v < views.length; v++) st[v] = views[v].strides()[d];
                    continue;
                }
            }
            mergedShape.add(ext);
            long[] st = new long[views.length];
            for (int v = 0; v < views.length; v++) st[v] = views[v].strides()[d];
            mergedStrides.add(st);
        }
        if (mergedShape.isEmpty()) {
            mergedShape.add(shape.length == 0 || Arrays.stream(shape).allMatch(e -> e == 1) ? 1L : 0L);
            mergedStrides.add(new long[views.length]);
        }
        int r = mergedShape.size();
        int[] sh = new int[r];
        for (int i = 0; i < r; i++) sh[i] = (int) (long) mergedShape.get(i);
        KernelView[] out = new KernelView[views.length];
        for (int v = 0; v < views.length; v++) {
            long[] st = new long[r];
            for (int i = 0; i < r; i++) st[i] = mergedStrides.get(i)[v];
            out[v] = new KernelView(views[v].offset(), sh.clone(), st);
        }
        return out;
    }

    @Override
    public String toString() { return "KernelView[" + Arrays.toString(shape) + " " + Arrays.toString(strides) + " +" + offset + "]"; }
}
