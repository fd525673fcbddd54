package dev.kiln.cuda;

import dev.kiln.ShapeException;
import dev.kiln.spi.View;
import java.util.Arrays;

/**
 * Splits a reduction of x into out (x's rank, extent 1 on reduced axes) into what the reduce kernel takes:
 * {@code outer} walks the kept axes of x (in out's row-major order), {@code inner} the reduced axes
 * (offset 0, added to outer's offset), {@code out} the kept axes of out.
 */
public record ReducePlan(KernelView outer, KernelView inner, KernelView out, long outputs, long length, int reducedAxes) {

    public static ReducePlan of(String op, View x, View out) {
        int r = x.rank();
        if (out.rank() != r) {
            throw new ShapeException(op + ": output rank " + out.rank() + " differs from input rank " + r + " (input "
                    + Arrays.toString(x.shape()) + ", output " + Arrays.toString(out.shape()) + ")");
        }
        int kept = 0, reduced = 0;
        for (int d = 0; d < r; d++) {
            if (out.shape()[d] == x.shape()[d]) kept++;
            else if (out.shape()[d] == 1) reduced++;
            else throw new ShapeException(op + ": output shape " + Arrays.toString(out.shape())
                    + " must equal input shape " + Arrays.toString(x.shape()) + " or be 1 on each reduced axis");
        }
        int[] keptShape = new int[kept], redShape = new int[reduced];
        long[] keptX = new long[kept], keptOut = new long[kept], redX = new long[reduced];
        int ik = 0, ir = 0;
        for (int d = 0; d < r; d++) {
            // an axis of extent 1 in both counts as kept: it changes nothing either way
            if (out.shape()[d] == x.shape()[d]) {
                keptShape[ik] = x.shape()[d];
                keptX[ik] = x.strides()[d];
                keptOut[ik++] = out.strides()[d];
            } else {
                redShape[ir] = x.shape()[d];
                redX[ir++] = x.strides()[d];
            }
        }
        View xKept = new View(x.buffer(), x.dtype(), x.offset(), keptShape, keptX);
        View oKept = new View(out.buffer(), out.dtype(), out.offset(), keptShape, keptOut);
        KernelView[] outerPair = KernelView.coalesce(keptShape, xKept, oKept);
        View xRed = new View(x.buffer(), x.dtype(), 0, redShape, redX);
        KernelView inner = KernelView.coalesce(redShape, xRed)[0];
        long outputs = 1, length = 1;
        for (int e : keptShape) outputs *= e;
        for (int e : redShape) length *= e;
        return new ReducePlan(outerPair[0], inner, outerPair[1], outputs, length, reduced);
    }

    /** Threads per block: a multiple of 32, at most 256, no more than the reduced length needs. */
    public int threads() {
        long t = 32;
        while (t < length && t < 256) t <<= 1;
        return (int) t;
    }
}
