package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReducePlanTest {
    private static final Buffer BUF = () -> 1 << 20;

    @Test
    void middleAxisReduction() {
        View x = View.contiguous(BUF, DType.F32, 3, 2, 5, 7);
        View out = View.contiguous(BUF, DType.F32, 0, 2, 1, 7);
        ReducePlan p = ReducePlan.of("sum", x, out);
        assertEquals(14, p.outputs());
        assertEquals(5, p.length());
        assertArrayEquals(new int[] {2, 7}, p.outer().shape());
        assertArrayEquals(new long[] {35, 1}, p.outer().strides());
        assertEquals(3, p.outer().offset());
        assertArrayEquals(new int[] {5}, p.inner().shape());
        assertArrayEquals(new long[] {7}, p.inner().strides());
        assertEquals(0, p.inner().offset());
        assertArrayEquals(new long[] {7, 1}, p.out().strides());
        assertEquals(32, p.threads());
    }

    @Test
    void fullReductionHasOneOutput() {
        View x = View.contiguous(BUF, DType.F32, 0, 3, 1000);
        ReducePlan p = ReducePlan.of("sum", x, View.contiguous(BUF, DType.F32, 0, 1, 1));
        assertEquals(1, p.outputs());
        assertEquals(3000, p.length());
        assertArrayEquals(new int[] {3000}, p.inner().shape());
        assertEquals(256, p.threads());
    }

    @Test
    void badOutputShapeIsAShapeError() {
        View x = View.contiguous(BUF, DType.F32, 0, 3, 4);
        ShapeException e = assertThrows(ShapeException.class, () -> ReducePlan.of("reduce SUM", x, View.contiguous(BUF, DType.F32, 0, 2, 4)));
        assertEquals("reduce SUM: output shape [2, 4] must equal input shape [3, 4] or be 1 on each reduced axis", e.getMessage());
    }

    /** Outer offset + inner offset visits each input element exactly once, in the right output. */
    @Test
    void everyInputElementIsVisitedOnceForItsOutput() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int rank = 1 + rnd.nextInt(5);
            int[] shape = new int[rank], oshape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = 1 + rnd.nextInt(4);
                oshape[d] = rnd.nextBoolean() ? 1 : shape[d];
            }
            View x = View.contiguous(BUF, DType.F32, 0, shape);
            View out = View.contiguous(BUF, DType.F32, 0, oshape);
            ReducePlan p = ReducePlan.of("sum", x, out);
            int[] hits = new int[(int) x.numel()];
            for (long o = 0; o < p.outputs(); o++) {
                long base = KernelViewTest.offset(p.outer().offset(), p.outer().shape(), p.outer().strides(), o);
                long oo = KernelViewTest.offset(p.out().offset(), p.out().shape(), p.out().strides(), o);
                for (long j = 0; j < p.length(); j++) {
                    long xi = base + KernelViewTest.offset(0, p.inner().shape(), p.inner().strides(), j);
                    hits[(int) xi]++;
                    // the output of element xi: its coordinates with reduced axes set to 0
                    long rem = xi, expect = 0, mul = 1;
                    for (int d = rank - 1; d >= 0; d--) {
                        long c = rem % shape[d];
                        rem /= shape[d];
                        expect += (oshape[d] == 1 ? 0 : c) * mul;
                        mul *= oshape[d];
                    }
                    assertEquals(expect, oo);
                }
            }
            for (int h : hits) assertEquals(1, h);
        }
    }
}
