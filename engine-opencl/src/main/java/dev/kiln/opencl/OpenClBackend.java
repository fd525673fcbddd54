package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.CachingAllocator;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * One OpenCL device as a Kiln backend. Memory comes from a {@link CachingAllocator} over
 * clCreateBuffer; each calling thread enqueues on its own in-order command queue; kernels are built
 * from native-kernels' .cl sources with a per-dtype prelude and cached in memory and on disk.
 */
public final class OpenClBackend implements Backend {
    private static final Set<DType> DTYPES = EnumSet.allOf(DType.class);

    private final DeviceInfo device;
    private final int index;
    private final long context;
    private final ProgramCache programs;
    private final CachingAllocator<ClBuffer> allocator;
    private final DeferredFrees deferred;
    /** Every thread's context, with its thread, so the contexts of finished threads can be released. */
    private record Owned(java.lang.ref.WeakReference<Thread> thread, ExecContext context) {}

    private final List<Owned> contexts = new CopyOnWriteArrayList<>();
    private final ThreadLocal<ExecContext> threadContext;
    private final int reduceGroup;
    private volatile boolean int64Atomics;
    private final OpenClFastPaths fastPaths = new OpenClFastPaths(this);
    private final Gemm gemm;
    private volatile boolean closed;

    OpenClBackend(DeviceInfo device, int index) {
        this.device = device;
        this.index = index;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var err = stack.mallocInt(1);
            PointerBuffer props = stack.mallocPointer(3).put(0, CL_CONTEXT_PLATFORM).put(1, device.platform()).put(2, 0);
            context = clCreateContext(props, stack.pointers(device.device()), null, 0, err);
            ClErrors.check(err.get(0), "clCreateContext(" + device.name() + ")");
        }
        programs = new ProgramCache(context, device);
        allocator = new CachingAllocator<>(name(), new CachingAllocator.Device<>() {
            @Override public ClBuffer allocate(long bytes) { return createBuffer(bytes); }
            @Override public void free(ClBuffer b) { clReleaseMemObject(b.mem()); }
        });
        deferred = new DeferredFrees(allocator::free);
        threadContext = ThreadLocal.withInitial(() -> {
            releaseFinishedThreads();
            ExecContext c = new ExecContext(context, device.device());
            contexts.add(new Owned(new java.lang.ref.WeakReference<>(Thread.currentThread()), c));
            return c;
        });
        int64Atomics = device.hasExtension("cl_khr_int64_base_atomics");
        gemm = new Gemm(this);
        reduceGroup = (int) Math.min(256, Long.highestOneBit(Math.max(1, device.maxWorkGroupSize())));
    }

    @Override public String name() { return "opencl:" + index; }

    @Override public String description() { return device.describe(); }

    @Override public Set<DType> dtypes() { return DTYPES; }

    DeviceInfo device() { return device; }

    /** Work items of a group that reduces cooperatively: a power of two, at most 256 and the device's limit. */
    int reduceGroup() { return reduceGroup; }

    ProgramCache programs() { return programs; }

    long context() { return context; }

    /** Lets tests take the path of devices without 64-bit atomics. */
    void useInt64Atomics(boolean use) {
        int64Atomics = use && device.hasExtension("cl_khr_int64_base_atomics");
    }

    ExecContext ctx() {
        ensureOpen("enqueue");
        return threadContext.get();
    }

    void ensureOpen(String op) {
        if (closed) throw new KilnException(op + ": " + name() + " is closed");
    }

    /** Releases the queues and kernels of threads that have ended (their work is finished first). */
    private void releaseFinishedThreads() {
        for (Owned o : contexts) {
            Thread t = o.thread().get();
            if (t == null || !t.isAlive()) {
                if (contexts.remove(o)) {
                    clFinish(o.context().queue);
                    o.context().release();
                }
            }
        }
    }

    /** Command queues currently open (one per live thread that has used this backend). */
    int openQueues() { return contexts.size(); }

    // ---- memory ----

    /** Raw allocation for the caching allocator: null when the device is out of memory. */
    private ClBuffer createBuffer(long bytes) {
        if (bytes > device.maxAllocBytes()) return null;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var err = stack.mallocInt(1);
            long mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, err);
            int e = err.get(0);
            if (e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_HOST_MEMORY || e == CL_OUT_OF_RESOURCES) return null;
            ClErrors.check(e, "clCreateBuffer(" + bytes + " bytes)");
            return new ClBuffer(this, mem, bytes);
        }
    }

    @Override
    public Buffer allocate(long bytes) {
        ensureOpen("allocate");
        if (bytes < 0) throw new KilnException("allocate: negative size " + bytes);
        deferred.reclaim(false);
        return allocator.allocate(bytes);
    }

    @Override
    public void free(Buffer buffer) {
        deferred.free(Checks.buffer(this, "free", buffer), ctx());
    }

    @Override
    public long bytesInUse() {
        deferred.reclaim(true);
        return allocator.bytesInUse();
    }

    @Override
    public void upload(MemorySegment src, Buffer dst, long dstOffset) {
        ClBuffer b = Checks.buffer(this, "upload", dst);
        Checks.range("upload", dstOffset, src.byteSize(), b);
        if (src.byteSize() == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = src.isNative() ? src : arena.allocate(src.byteSize(), 64).copyFrom(src);
            ClErrors.check(nclEnqueueWriteBuffer(ctx().queue, b.mem(), CL_TRUE, dstOffset, src.byteSize(),
                    host.address(), 0, 0, 0), "clEnqueueWriteBuffer");
        }
    }

    @Override
    public void download(Buffer src, long srcOffset, MemorySegment dst) {
        ClBuffer b = Checks.buffer(this, "download", src);
        Checks.range("download", srcOffset, dst.byteSize(), b);
        if (dst.byteSize() == 0) {
            ctx().finish();
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = dst.isNative() ? dst : arena.allocate(dst.byteSize(), 64);
            ClErrors.check(nclEnqueueReadBuffer(ctx().queue, b.mem(), CL_TRUE, srcOffset, dst.byteSize(),
                    host.address(), 0, 0, 0), "clEnqueueReadBuffer");
            if (host != dst) dst.copyFrom(host);
        }
    }

    @Override
    public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
        ClBuffer s = Checks.buffer(this, "copy", src), d = Checks.buffer(this, "copy", dst);
        Checks.range("copy", srcOffset, bytes, s);
        Checks.range("copy", dstOffset, bytes, d);
        if (s == d && srcOffset < dstOffset + bytes && dstOffset < srcOffset + bytes && bytes > 0) {
            throw new KilnException("copy: source [" + srcOffset + ", " + (srcOffset + bytes) + ") and destination ["
                    + dstOffset + ", " + (dstOffset + bytes) + ") overlap in one buffer");
        }
        if (bytes == 0) return;
        ClErrors.check(clEnqueueCopyBuffer(ctx().queue, s.mem(), d.mem(), srcOffset, dstOffset, bytes, null, null),
                "clEnqueueCopyBuffer");
    }

    @Override
    public void fill(View out, double value) {
        ClBuffer ob = Checks.view(this, "fill", "out", out);
        Dims dims = Dims.collapse(out.shape(), out.strides());
        if (dims.numel() == 0) return;
        long program = elementwise(out.dtype(), out.dtype(), out.dtype(), out.dtype(), out.dtype());
        KernelCall call = ctx().kernel(program, "fill_op").i64(dims.numel()).i32(dims.rank()).long8(dims.shape())
                .mem(ob).i64(out.offset()).long8(dims.strides()[0]);
        switch (out.dtype()) {
            case F32 -> call.f32((float) value);
            case I32 -> call.i32((int) value);
            case I64 -> call.i64((long) value);
            case F16 -> call.u16(Float.floatToFloat16((float) value));
            case BF16 -> call.u16(HostFloats.toBf16((float) value));
        }
        call.launch1d(dims.numel());
    }

    // ---- elementwise ----

    /** The elementwise program for operands a, b, c, the compute dtype and the output dtype. */
    private long elementwise(DType a, DType b, DType c, DType compute, DType out) {
        Prelude p = new Prelude().operand("A", a).operand("B", b).operand("C", c).compute(compute).output(out, compute);
        return programs.get("elementwise.cl", p.text());
    }

    @Override
    public void unary(UnaryOp op, View x, View out) {
        String name = "unary " + op;
        ClBuffer xb = Checks.view(this, name, "x", x), ob = Checks.view(this, name, "out", out);
        Checks.sameShape(name, "x", x, out);
        if (!x.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": defined on floating dtypes only, x has dtype " + x.dtype());
        }
        Dims dims = Dims.collapse(out.shape(), x.strides(), out.strides());
        long program = elementwise(x.dtype(), x.dtype(), x.dtype(), x.dtype(), out.dtype());
        ctx().kernel(program, "unary_op").i32(op.ordinal()).i64(dims.numel()).i32(dims.rank()).long8(dims.shape())
                .mem(xb).i64(x.offset()).long8(dims.strides()[0])
                .mem(ob).i64(out.offset()).long8(dims.strides()[1])
                .launch1d(dims.numel());
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        String name = "binary " + op;
        ClBuffer ab = Checks.view(this, name, "a", a), bb = Checks.view(this, name, "b", b), ob = Checks.view(this, name, "out", out);
        Checks.sameShape(name, "a", a, out);
        Checks.sameShape(name, "b", b, out);
        Checks.sameDtype(name, a, b);
        if (!a.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": defined on floating dtypes only, inputs have dtype " + a.dtype());
        }
        Dims dims = Dims.collapse(out.shape(), a.strides(), b.strides(), out.strides());
        long program = elementwise(a.dtype(), b.dtype(), a.dtype(), a.dtype(), out.dtype());
        ctx().kernel(program, "binary_op").i32(op.ordinal()).i64(dims.numel()).i32(dims.rank()).long8(dims.shape())
                .mem(ab).i64(a.offset()).long8(dims.strides()[0])
                .mem(bb).i64(b.offset()).long8(dims.strides()[1])
                .mem(ob).i64(out.offset()).long8(dims.strides()[2])
                .launch1d(dims.numel());
    }

    @Override
    public void ternary(TernaryOp op, View a, View b, View c, View out) {
        String name = "ternary " + op;
        ClBuffer ab = Checks.view(this, name, "a", a), bb = Checks.view(this, name, "b", b);
        ClBuffer cb = Checks.view(this, name, "c", c), ob = Checks.view(this, name, "out", out);
        Checks.sameShape(name, "a", a, out);
        Checks.sameShape(name, "b", b, out);
        Checks.sameShape(name, "c", c, out);
        Checks.sameDtype(name, b, c);
        if (op == TernaryOp.CLAMP) Checks.sameDtype(name, a, b);
        Dims dims = Dims.collapse(out.shape(), a.strides(), b.strides(), c.strides(), out.strides());
        long program = elementwise(a.dtype(), b.dtype(), c.dtype(), b.dtype(), out.dtype());
        ctx().kernel(program, "ternary_op").i32(op.ordinal()).i64(dims.numel()).i32(dims.rank()).long8(dims.shape())
                .mem(ab).i64(a.offset()).long8(dims.strides()[0])
                .mem(bb).i64(b.offset()).long8(dims.strides()[1])
                .mem(cb).i64(c.offset()).long8(dims.strides()[2])
                .mem(ob).i64(out.offset()).long8(dims.strides()[3])
                .launch1d(dims.numel());
    }

    // ---- reductions ----

    @Override
    public void reduce(ReduceOp op, View x, View out) {
        String name = "reduce " + op;
        ClBuffer xb = Checks.view(this, name, "x", x), ob = Checks.view(this, name, "out", out);
        int r = x.rank();
        if (out.rank() != r) {
            throw new ShapeException(name + ": out " + Arrays.toString(out.shape()) + " must have the rank of x "
                    + Arrays.toString(x.shape()) + " with extent 1 on reduced axes");
        }
        int[] keptShape = new int[r], redShape = new int[r];
        long[] keptX = new long[r], keptO = new long[r], redX = new long[r];
        int reducedAxes = 0;
        for (int d = 0; d < r; d++) {
            boolean reduced = out.shape()[d] == 1 && x.shape()[d] != 1;
            if (!reduced && out.shape()[d] != x.shape()[d]) {
                throw new ShapeException(name + ": out " + Arrays.toString(out.shape()) + " does not fit x "
                        + Arrays.toString(x.shape()) + " (each axis must match or be 1)");
            }
            keptShape[d] = reduced ? 1 : x.shape()[d];
            redShape[d] = reduced ? x.shape()[d] : 1;
            keptX[d] = x.strides()[d];
            keptO[d] = out.strides()[d];
            redX[d] = x.strides()[d];
            if (reduced) reducedAxes++;
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        if (arg) {
            if (reducedAxes > 1) throw new ShapeException(name + ": reduces exactly one axis, x " + Arrays.toString(x.shape())
                    + " to " + Arrays.toString(out.shape()) + " reduces " + reducedAxes);
            Checks.dtype(name, "out", out, DType.I32, DType.I64);
        }
        Dims kept = Dims.collapse(keptShape, keptX, keptO);
        Dims red = Dims.collapse(redShape, redX);
        long nOut = kept.numel(), nRed = red.numel();
        if (nOut == 0) return;
        boolean group = nRed >= 512 && nOut < 4L * device.computeUnits() * reduceGroup;
        Prelude p = new Prelude().operand("A", x.dtype()).compute(x.dtype()).output(out.dtype(), x.dtype())
                .define("REDUCE_OP", Integer.toString(op.ordinal())).define("REDUCE_WG", Integer.toString(reduceGroup));
        long program = programs.get("reduce.cl", p.text());
        KernelCall call = ctx().kernel(program, group ? "reduce_group" : "reduce_thread")
                .i64(nOut).i32(kept.rank()).long8(kept.shape()).long8(kept.strides()[0]).long8(kept.strides()[1])
                .i32(red.rank()).long8(red.shape()).long8(red.strides()[0]).i64(nRed)
                .mem(xb).i64(x.offset()).mem(ob).i64(out.offset());
        if (group) call.launch(new long[] {nOut * reduceGroup}, new long[] {reduceGroup});
        else call.launch1d(nOut);
    }

    // ---- matmul ----

    @Override
    public void matmul(View a, View b, View c, float alpha, float beta) { gemm.matmul(a, b, c, alpha, beta); }

    /** Lets tests run the backend's own GEMM kernels while CLBlast is installed. */
    void useClBlast(boolean use) { gemm.useClBlast(use); }

    /** Lets tests run each of the backend's GEMM kernels on whatever device they have. */
    void useGemmKernel(Gemm.Kernel k) { gemm.useKernel(k); }

    Gemm.Kernel gemmKernel() { return gemm.kernel(); }

    /** GEMMs that went through CLBlast, for tests. */
    long clblastCalls() { return gemm.clblastCalls(); }

    // ---- gather / scatter ----

    private enum IndexKind { GATHER, SCATTER }

    /** Checks gather/scatterAdd arguments; {@code full} is the view whose shape the index has. */
    private void checkIndexed(String name, View full, int axis, View index, View other, IndexKind kind) {
        if (axis < 0 || axis >= full.rank()) {
            throw new ShapeException(name + ": axis " + axis + " out of range for rank " + full.rank());
        }
        Checks.dtype(name, "index", index, DType.I32, DType.I64);
        Checks.sameShape(name, "index", index, full);
        if (other.rank() != full.rank()) {
            throw new ShapeException(name + ": " + Arrays.toString(other.shape()) + " and " + Arrays.toString(full.shape())
                    + " must have one rank");
        }
        for (int d = 0; d < full.rank(); d++) {
            if (d != axis && other.shape()[d] != full.shape()[d]) {
                throw new ShapeException(name + ": " + (kind == IndexKind.GATHER ? "src " : "out ") + Arrays.toString(other.shape())
                        + " must equal " + Arrays.toString(full.shape()) + " except along axis " + axis);
            }
        }
        if (other.dtype() != full.dtype()) {
            throw new DTypeException(name + ": src and out must share one dtype, got " + other.dtype() + " and " + full.dtype());
        }
    }

    private long indexProgram(DType data, DType index, int atomicKind) {
        Prelude p = new Prelude().operand("A", data).compute(data).output(data, data)
                .define("TI", Prelude.storage(index)).define("ATOMIC_KIND", Integer.toString(atomicKind));
        return programs.get("index.cl", p.text());
    }

    @Override
    public void gather(View src, int axis, View index, View out) {
        String name = "gather";
        ClBuffer sb = Checks.view(this, name, "src", src), ib = Checks.view(this, name, "index", index);
        ClBuffer ob = Checks.view(this, name, "out", out);
        checkIndexed(name, out, axis, index, src, IndexKind.GATHER);
        long n = out.numel();
        if (n == 0) return;
        long program = indexProgram(src.dtype(), index.dtype(), atomicKind(src.dtype()));
        ctx().kernel(program, "gather_op").i64(n).i32(out.rank()).i32(axis).i64(src.shape()[axis]).long8(toLong(out.shape()))
                .mem(sb).i64(src.offset()).long8(src.strides())
                .mem(ib).i64(index.offset()).long8(index.strides())
                .mem(ob).i64(out.offset()).long8(out.strides())
                .launch1d(n);
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        String name = "scatterAdd";
        ClBuffer sb = Checks.view(this, name, "src", src), ib = Checks.view(this, name, "index", index);
        ClBuffer ob = Checks.view(this, name, "out", out);
        checkIndexed(name, src, axis, index, out, IndexKind.SCATTER);
        int kind = atomicKind(src.dtype());
        long program = indexProgram(src.dtype(), index.dtype(), kind);
        if (kind != 4) {
            long n = src.numel();
            if (n == 0) return;
            ctx().kernel(program, "scatter_add_op").i64(n).i32(src.rank()).i32(axis).i64(out.shape()[axis]).long8(toLong(src.shape()))
                    .mem(sb).i64(src.offset()).long8(src.strides())
                    .mem(ib).i64(index.offset()).long8(index.strides())
                    .mem(ob).i64(out.offset()).long8(out.strides())
                    .launch1d(n);
        } else {
            long n = out.numel();
            if (n == 0) return;
            ctx().kernel(program, "scatter_add_loop").i64(n).i32(out.rank()).i32(axis).i64(src.shape()[axis]).long8(toLong(out.shape()))
                    .mem(sb).i64(src.offset()).long8(src.strides())
                    .mem(ib).i64(index.offset()).long8(index.strides())
                    .mem(ob).i64(out.offset()).long8(out.strides())
                    .launch1d(n);
        }
    }

    /** How scatterAdd accumulates a dtype here (see index.cl): 4 means no atomic, the loop kernel. */
    private int atomicKind(DType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case I32 -> 1;
            case I64 -> int64Atomics ? 2 : 4;
            case F16, BF16 -> 3;
        };
    }

    // ---- random ----

    @Override
    public void random(Distribution distribution, long seed, long offset, View out) {
        String name = "random " + distribution;
        ClBuffer ob = Checks.view(this, name, "out", out);
        Checks.dtype(name, "out", out, DType.F32);
        long n = out.numel();
        if (n == 0) return;
        Dims dims = Dims.collapse(out.shape(), out.strides());
        ctx().kernel(randomProgram(), "random_op").i32(distribution == Distribution.NORMAL ? 1 : 0).i64(seed).i64(offset)
                .i64(n).i32(dims.rank()).long8(dims.shape()).mem(ob).i64(out.offset()).long8(dims.strides()[0])
                .launch1d(n);
    }

    /** random.cl, built with double-precision Box-Muller where the device has fp64 (as the Java reference computes it). */
    long randomProgram() {
        return programs.get("random.cl", device.hasExtension("cl_khr_fp64") ? "#define KILN_FP64 1\n" : "");
    }

    @Override
    public void synchronize() { ctx().finish(); }

    @Override
    public dev.kiln.spi.FastPaths fastPaths() { return fastPaths; }

    /** Closing waits for every queue, then releases cached memory, queues, kernels, programs and the context. */

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Owned o : contexts) clFinish(o.context().queue);
        deferred.reclaim(true);
        allocator.releaseCache();
        for (Owned o : contexts) o.context().release();
        contexts.clear();
        programs.releaseAll();
        clReleaseContext(context);
    }

    private static long[] toLong(int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) s[i] = shape[i];
        return s;
    }
}
