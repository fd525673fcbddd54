package dev.kiln.cpu;

import dev.kiln.DType;
import dev.kiln.KilnException;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Gather and scatter-add along an axis. Indices outside [0, extent) throw a {@link KilnException}
 * naming the op, the index and the extent. Scatter-add runs in parallel over the positions off the
 * axis: two such positions never write the same output element, and each walks the axis in order,
 * so duplicate indices accumulate without races and the result does not depend on the thread count.
 */
final class IndexOps {
    private IndexOps() {}

    private static MemorySegment seg(View v) { return ((CpuBuffer) v.buffer()).segment(); }

    private static long index(MemorySegment s, DType t, long at) {
        return t == DType.I64 ? s.getAtIndex(Elem.L, at) : s.getAtIndex(Elem.I, at);
    }

    private static KilnException outOfRange(String op, long idx, int axis, int extent, View target) {
        return new KilnException(op + ": index " + idx + " is out of range for axis " + axis + " of extent " + extent
                + " (shape " + Arrays.toString(target.shape()) + "); expected 0 <= index < " + extent);
    }

    static void gather(View src, int axis, View index, View out) {
        long[] srcBase = src.strides().clone();
        long axisStride = srcBase[axis];
        srcBase[axis] = 0;
        StridedLoop loop = new StridedLoop(out.shape(), new long[] {out.offset(), index.offset(), src.offset()},
                out.strides(), index.strides(), srcBase);
        MemorySegment ss = seg(src), is = seg(index), os = seg(out);
        DType t = out.dtype(), it = index.dtype();
        int extent = src.shape()[axis];
        long so = loop.innerStride(0), si = loop.innerStride(1), sb = loop.innerStride(2);
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, 4096, (s, e) -> loop.run(s, e, 1 << 20, (o, n, i) -> {
            for (int j = 0; j < n; j++) {
                long idx = index(is, it, o[1] + j * si);
                if (idx < 0 || idx >= extent) throw outOfRange("gather", idx, axis, extent, src);
                Elem.copyBits(ss, o[2] + j * sb + idx * axisStride, os, o[0] + j * so, t);
            }
        }));
    }

    static void scatterAdd(View src, int axis, View index, View out) {
        int r = src.rank();
        int[] shape = new int[r - 1];
        long[] ss = new long[r - 1], is = new long[r - 1], os = new long[r - 1];
        for (int d = 0, k = 0; d < r; d++) {
            if (d == axis) continue;
            shape[k] = src.shape()[d];
            ss[k] = src.strides()[d];
            is[k] = index.strides()[d];
            os[k++] = out.strides()[d];
        }
        int len = src.shape()[axis], extent = out.shape()[axis];
        long sAx = src.strides()[axis], iAx = index.strides()[axis], oAx = out.strides()[axis];
        StridedLoop loop = new StridedLoop(shape, new long[] {src.offset(), index.offset(), out.offset()}, ss, is, os);
        MemorySegment sseg = seg(src), iseg = seg(index), oseg = seg(out);
        DType t = out.dtype(), it = index.dtype();
        boolean floating = t.isFloating();
        long s0 = loop.innerStride(0), i0 = loop.innerStride(1), o0 = loop.innerStride(2);
        long grain = Math.max(1, 4096 / Math.max(1, len));
        Parallel.forRange(loop.numel, Math.max(2, Parallel.ELEMENT_THRESHOLD / Math.max(1, len)), grain, (s, e) ->
                loop.run(s, e, 1 << 20, (o, n, first) -> {
                    for (int p = 0; p < n; p++) {
                        long sp = o[0] + p * s0, ip = o[1] + p * i0, op = o[2] + p * o0;
                        for (int j = 0; j < len; j++) {
                            long idx = index(iseg, it, ip + j * iAx);
                            if (idx < 0 || idx >= extent) throw outOfRange("scatterAdd", idx, axis, extent, out);
                            long at = op + idx * oAx, from = sp + j * sAx;
                            if (floating) Elem.putD(oseg, t, at, Elem.getD(oseg, t, at) + Elem.getD(sseg, t, from));
                            else Elem.putL(oseg, t, at, Elem.getL(oseg, t, at) + Elem.getL(sseg, t, from));
                        }
                    }
                }));
    }
}
