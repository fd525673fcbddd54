package dev.kiln.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/** Kernel arguments in declaration order, each as JCuda wants it: a pointer to the argument's bytes. */
final class Launch {
    static final int THREADS = 256;
    /** Grid-stride kernels need no more blocks than this to fill any current GPU. */
    static final int MAX_BLOCKS = 1 << 20;

    private final List<Pointer> args = new ArrayList<>();

    Launch i32(int v) { args.add(Pointer.to(new int[] {v})); return this; }

    Launch i64(long v) { args.add(Pointer.to(new long[] {v})); return this; }

    Launch f32(float v) { args.add(Pointer.to(new float[] {v})); return this; }

    Launch f64(double v) { args.add(Pointer.to(new double[] {v})); return this; }

    /** A device pointer: a buffer's base address (views carry their own element offsets). */
    Launch ptr(CudaBuffer b) { return i64(b.address); }

    /** A struct argument passed by value, already packed little-endian. */
    Launch bytes(byte[] packed) { args.add(Pointer.to(packed)); return this; }

    Launch view(KernelView v) { args.add(Pointer.to(v.pack())); return this; }

    Pointer params() { return Pointer.to(args.toArray(new Pointer[0])); }

    static int blocksFor(long work, int threads) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (work + threads - 1) / threads));
    }
}
