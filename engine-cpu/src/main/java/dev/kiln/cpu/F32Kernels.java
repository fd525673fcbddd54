package dev.kiln.cpu;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import java.lang.foreign.MemorySegment;

/**
 * Inner loops over contiguous F32 runs (offsets in elements). Two implementations: one on
 * {@code jdk.incubator.vector}, one in scalar Java for when that module is absent; both compute in
 * float and give the same results up to the rounding of the transcendental functions.
 */
interface F32Kernels {
    boolean supports(UnaryOp op);

    boolean supports(BinaryOp op);

    /** {@code out[i] = op(x[i])} for n contiguous elements. */
    void unary(UnaryOp op, MemorySegment x, long xOff, MemorySegment out, long outOff, int n);

    /**
     * {@code out[i] = op(a[i], b[i])} for n contiguous elements; an operand flagged as broadcast is
     * the single element at its offset.
     */
    void binary(BinaryOp op, MemorySegment a, long aOff, boolean aBroadcast, MemorySegment b, long bOff, boolean bBroadcast,
                MemorySegment out, long outOff, int n);

    /** Sum of n contiguous elements: float partial sums over short blocks, added in double. */
    double sum(MemorySegment x, long off, int n);

    /** Maximum (or minimum) of n contiguous elements, n >= 1; NaN if any element is NaN. */
    float extremum(boolean max, MemorySegment x, long off, int n);

    /**
     * Four dot products at once, {@code out[r] = dot(x + xOff[r], w + wOff, n)} for r < 4, reading w
     * once (a linear layer of few rows is bound by reading its weights). Each row's terms are added
     * in a fixed order that does not depend on the other rows, so a row's bits do not depend on
     * which rows share its call (pass any valid offset for unused rows and ignore their results).
     */
    void dot4(MemorySegment x, long[] xOff, MemorySegment w, long wOff, int n, float[] out);
}
