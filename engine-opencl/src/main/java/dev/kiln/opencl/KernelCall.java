package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/** Sets a kernel's arguments in order and enqueues it on the calling thread's queue. */
final class KernelCall {
    private final ExecContext ctx;
    private final long kernel;
    private final String name;
    private int index;

    KernelCall(ExecContext ctx, long kernel, String name) {
        this.ctx = ctx;
        this.kernel = kernel;
        this.name = name;
    }

    KernelCall mem(ClBuffer b) { return check(clSetKernelArg1p(kernel, index, b.mem())); }

    KernelCall i32(int v) { return check(clSetKernelArg1i(kernel, index, v)); }

    KernelCall i64(long v) { return check(clSetKernelArg1l(kernel, index, v)); }

    KernelCall f32(float v) { return check(clSetKernelArg1f(kernel, index, v)); }

    KernelCall u16(short v) { return check(clSetKernelArg1s(kernel, index, v)); }

    /** A long4 argument. */
    KernelCall long4(long a, long b, long c, long d) { return check(clSetKernelArg(kernel, index, new long[] {a, b, c, d})); }

    /** A long8 argument: up to eight values, padded with zeros. */
    KernelCall long8(long[] v) {
        long[] padded = new long[8];
        System.arraycopy(v, 0, padded, 0, v.length);
        return check(clSetKernelArg(kernel, index, padded));
    }

    private KernelCall check(int err) {
        ClErrors.check(err, "clSetKernelArg(" + name + ", " + index + ")");
        index++;
        return this;
    }

    /** One work item per element, in groups the driver chooses. */
    void launch1d(long n) {
        if (n == 0) return;
        launch(new long[] {roundUp(n, 64)}, null);
    }

    void launch(long[] global, long[] local) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer g = stack.mallocPointer(global.length);
            for (int i = 0; i < global.length; i++) g.put(i, global[i]);
            PointerBuffer l = null;
            if (local != null) {
                l = stack.mallocPointer(local.length);
                for (int i = 0; i < local.length; i++) l.put(i, local[i]);
            }
            ClErrors.check(clEnqueueNDRangeKernel(ctx.queue, kernel, global.length, null, g, l, null, null),
                    "clEnqueueNDRangeKernel(" + name + ")");
        }
    }

    static long roundUp(long n, long m) { return (n + m - 1) / m * m; }
}
