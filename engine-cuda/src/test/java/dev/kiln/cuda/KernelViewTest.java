package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelViewTest {
    private static final Buffer BUF = () -> 1 << 20;

    private static View v(long offset, int[] shape, long[] strides) { return new View(BUF, DType.F32, offset, shape, strides); }

    @Test
    void packsTheKViewStructLayout() {
        byte[] b = new KernelView(7, new int[] {2, 3}, new long[] {3, 1}).pack();
        assertEquals(KernelView.BYTES, b.length);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(7, bb.getLong(0));
        assertEquals(3, bb.getLong(8));
        assertEquals(1, bb.getLong(16));
        assertEquals(0, bb.getLong(24));
        assertEquals(2, bb.getInt(72));
        assertEquals(3, bb.getInt(76));
        assertEquals(1, bb.getInt(80));
        assertEquals(2, bb.getInt(104));
    }

    @Test
    void rankAboveEightIsRejected() {
        KernelView k = new KernelView(0, new int[9], new long[9]);
        assertThrows(ShapeException.class, k::pack);
    }

    @Test
    void contiguousViewsCollapseToOneAxis() {
        View out = View.contiguous(BUF, DType.F32, 5, 2, 3, 4);
        View in = View.contiguous(BUF, DType.F32, 0, 2, 3, 4);
        KernelView[] k = KernelView.coalesce(out.shape(), out, in);
        assertArrayEquals(new int[] {24}, k[0].shape());
        assertArrayEquals(new long[] {1}, k[0].strides());
        assertEquals(5, k[0].offset());
    }

    @Test
    void broadcastAxesStaySeparate() {
        View out = View.contiguous(BUF, DType.F32, 0, 4, 1, 6);
        View row = v(0, new int[] {4, 1, 6}, new long[] {0, 0, 1});
        KernelView[] k = KernelView.coalesce(out.shape(), out, row);
        assertArrayEquals(new int[] {4, 6}, k[0].shape());
        assertArrayEquals(new long[] {6, 1}, k[0].strides());
        assertArrayEquals(new long[] {0, 1}, k[1].strides());
    }

    @Test
    void scalarAndEmptyShapes() {
        View s = v(3, new int[] {1, 1}, new long[] {9, 9});
        KernelView k = KernelView.coalesce(s.shape(), s)[0];
        assertArrayEquals(new int[] {1}, k.shape());
        View e = v(0, new int[] {3, 0}, new long[] {0, 1});
        int[] empty = KernelView.coalesce(e.shape(), e)[0].shape();
        assertEquals(0, java.util.Arrays.stream(empty).asLongStream().reduce(1, (x, y) -> x * y));
    }

    /** Every linear index maps to the same element offsets before and after coalescing. */
    @Test
    void coalescingPreservesEveryElementOffset() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int rank = 1 + rnd.nextInt(6);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = 1 + rnd.nextInt(4);
            View out = View.contiguous(BUF, DType.F32, rnd.nextInt(9), shape);
            View perm = out.permute(shuffled(rank, rnd));
            long[] st = new long[rank];
            for (int d = 0; d < rank; d++) st[d] = rnd.nextInt(3) == 0 ? 0 : perm.strides()[d];
            View other = v(rnd.nextInt(9), perm.shape(), st);
            View o2 = View.contiguous(BUF, DType.F32, 0, perm.shape());
            KernelView[] k = KernelView.coalesce(perm.shape(), o2, perm, other);
            long n = o2.numel();
            for (long i = 0; i < n; i++) {
                assertEquals(offset(o2.offset(), o2.shape(), o2.strides(), i), offset(k[0].offset(), k[0].shape(), k[0].strides(), i));
                assertEquals(offset(perm.offset(), perm.shape(), perm.strides(), i), offset(k[1].offset(), k[1].shape(), k[1].strides(), i));
                assertEquals(offset(other.offset(), other.shape(), other.strides(), i), offset(k[2].offset(), k[2].shape(), k[2].strides(), i));
            }
        }
    }

    private static int[] shuffled(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** kv_offset of kiln_common.cuh. */
    static long offset(long base, int[] shape, long[] strides, long i) {
        long off = base;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * strides[d];
            i /= shape[d];
        }
        return off;
    }
}
