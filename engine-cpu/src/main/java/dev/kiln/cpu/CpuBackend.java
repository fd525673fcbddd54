package dev.kiln.cpu;

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
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pure-Java CPU device.
 *
 * <p><b>Execution.</b> Every primitive runs synchronously on the calling thread and has finished
 * when it returns, so {@link #synchronize()} is a no-op and {@link #download} never waits. Large work
 * (elementwise ops and reductions over more than 32K elements, matrix products above about 2 MFLOP)
 * is split over one {@link java.util.concurrent.ForkJoinPool} of daemon threads, one per core
 * ({@code -Dkiln.cpu.threads=N} overrides), while the caller waits. The backend keeps no mutable
 * state besides its allocator (synchronized) and per-thread packing buffers, so any number of
 * threads may call it at once.
 *
 * <p><b>Memory.</b> Buffers are off-heap {@link MemorySegment}s, 64-byte aligned, each raw block in
 * its own shared {@link Arena} that is closed when the block is released; a {@link CachingAllocator}
 * in front reuses freed blocks by size class.
 *
 * <p><b>Speed.</b> Contiguous F32 elementwise runs (including a broadcast scalar operand), contiguous
 * F32 reductions and the GEMM microkernel use {@code jdk.incubator.vector} when that module is
 * present, and scalar loops otherwise; everything else takes a generic strided path that works for
 * any rank up to 8, any strides and every dtype (F32, I32, I64, F16, BF16).
 */
public final class CpuBackend implements Backend {
    private static final Set<DType> DTYPES = EnumSet.allOf(DType.class);

    private final CachingAllocator<CpuBuffer> allocator;
    private final Elementwise elementwise;
    private final Reductions reductions;
    private final Gemm gemm;
    private final boolean vector;
    private final CpuFastPaths fastPaths;
    private final AtomicLong highWater = new AtomicLong();

    /** A backend using the Vector API when {@code vector} is true and the module is present; scalar loops otherwise. */
    CpuBackend(boolean vector) {
        this.vector = vector && VectorSupport.AVAILABLE;
        F32Kernels k = VectorSupport.f32Kernels(this.vector);
        this.elementwise = new Elementwise(k);
        this.reductions = new Reductions(k);
        this.gemm = new Gemm(VectorSupport.gemmKernel(this.vector));
        this.fastPaths = new CpuFastPaths(gemm, k, VectorSupport.rnnKernels(this.vector), VectorSupport.attentionTiles(this.vector));
        this.allocator = new CachingAllocator<>("cpu", new CachingAllocator.Device<>() {
            @Override
            public CpuBuffer allocate(long bytes) {
                Arena arena = Arena.ofShared();
                try {
                    return new CpuBuffer(arena.allocate(bytes, 64), arena);
                } catch (OutOfMemoryError e) {
                    arena.close();
                    return null;
                }
            }

            @Override
            public void free(CpuBuffer buffer) { buffer.arena().close(); }
        });
    }

    /** True when this instance runs the Vector API kernels. */
    boolean vectorized() { return vector; }

    @Override
    public String name() { return "cpu"; }

    @Override
    public String description() { return CpuProvider.describe(); }

    @Override
    public Set<DType> dtypes() { return DTYPES; }

    // ---- memory ----

    @Override
    public Buffer allocate(long bytes) {
        if (bytes < 0) throw new KilnException("allocate: negative size " + bytes + " bytes");
        CpuBuffer b = allocator.allocate(bytes);
        highWater.accumulateAndGet(allocator.bytesInUse(), Math::max);
        return b;
    }

    /**
     * Restarts the high-water mark of {@link #bytesInUse()} at its current value and returns the mark
     * it had: a test brackets a call with two of these to see the most device memory held during it.
     */
    long resetHighWater() { return highWater.getAndSet(allocator.bytesInUse()); }

    @Override
    public void free(Buffer buffer) { allocator.free(own("free", buffer)); }

    @Override
    public long bytesInUse() { return allocator.bytesInUse(); }

    /** Bytes of freed blocks kept for reuse. */
    public long bytesCached() { return allocator.bytesCached(); }

    @Override
    public void upload(MemorySegment src, Buffer dst, long dstOffset) {
        CpuBuffer d = own("upload", dst);
        checkRange("upload", d, dstOffset, src.byteSize());
        MemorySegment.copy(src, 0, d.segment(), dstOffset, src.byteSize());
    }

    @Override
    public void download(Buffer src, long srcOffset, MemorySegment dst) {
        CpuBuffer s = own("download", src);
        checkRange("download", s, srcOffset, dst.byteSize());
        MemorySegment.copy(s.segment(), srcOffset, dst, 0, dst.byteSize());
    }

    @Override
    public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
        CpuBuffer s = own("copy", src), d = own("copy", dst);
        checkRange("copy", s, srcOffset, bytes);
        checkRange("copy", d, dstOffset, bytes);
        MemorySegment.copy(s.segment(), srcOffset, d.segment(), dstOffset, bytes);
    }

    @Override
    public void fill(View out, double value) {
        checkOutput("fill", out);
        elementwise.fill(out, value);
    }

    // ---- compute ----

    @Override
    public void unary(UnaryOp op, View x, View out) {
        String name = "unary " + op;
        checkInput(name, x);
        checkOutput(name, out);
        sameShape(name, out, x);
        if (!x.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": expected a floating-point input, got " + x.dtype() + " " + Arrays.toString(x.shape()));
        }
        elementwise.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        String name = "binary " + op;
        checkInput(name, a);
        checkInput(name, b);
        checkOutput(name, out);
        sameShape(name, out, a, b);
        sameDType(name, a, b);
        if (!a.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": expected floating-point inputs, got " + a.dtype());
        }
        elementwise.binary(op, a, b, out);
    }

    @Override
    public void ternary(TernaryOp op, View a, View b, View c, View out) {
        String name = "ternary " + op;
        checkInput(name, a);
        checkInput(name, b);
        checkInput(name, c);
        checkOutput(name, out);
        sameShape(name, out, a, b, c);
        if (op == TernaryOp.WHERE) sameDType(name, b, c);
        else { sameDType(name, a, b); sameDType(name, a, c); }
        elementwise.ternary(op, a, b, c, out);
    }

    @Override
    public void reduce(ReduceOp op, View x, View out) {
        String name = "reduce " + op;
        checkInput(name, x);
        checkOutput(name, out);
        if (x.rank() != out.rank()) {
            throw new ShapeException(name + ": output rank " + out.rank() + " must equal input rank " + x.rank()
                    + " (input " + Arrays.toString(x.shape()) + ", output " + Arrays.toString(out.shape()) + ")");
        }
        for (int d = 0; d < x.rank(); d++) {
            if (out.shape()[d] != x.shape()[d] && out.shape()[d] != 1) {
                throw new ShapeException(name + ": output " + Arrays.toString(out.shape()) + " must match input "
                        + Arrays.toString(x.shape()) + " or be 1 on each axis (axis " + d + ")");
            }
        }
        if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) && out.dtype() != DType.I64 && out.dtype() != DType.I32) {
            throw new DTypeException(name + ": expected an I64 or I32 output, got " + out.dtype());
        }
        reductions.reduce(op, x, out);
    }

    @Override
    public void matmul(View a, View b, View c, float alpha, float beta) {
        checkInput("matmul", a);
        checkInput("matmul", b);
        checkOutput("matmul", c);
        if (a.dtype() != DType.F32 || b.dtype() != DType.F32 || c.dtype() != DType.F32) {
            throw new DTypeException("matmul: expected F32 a, b and c, got " + a.dtype() + ", " + b.dtype() + ", " + c.dtype());
        }
        int[] as = a.shape(), bs = b.shape(), cs = c.shape();
        if (as.length != 3 || bs.length != 3 || cs.length != 3 || as[0] != cs[0] || bs[0] != cs[0]
                || as[1] != cs[1] || bs[2] != cs[2] || as[2] != bs[1]) {
            throw new ShapeException("matmul: expected a [B, M, K], b [B, K, N], c [B, M, N], got a " + Arrays.toString(as)
                    + ", b " + Arrays.toString(bs) + ", c " + Arrays.toString(cs));
        }
        gemm.matmul(a, b, c, alpha, beta);
    }

    @Override
    public void gather(View src, int axis, View index, View out) {
        checkInput("gather", src);
        checkInput("gather", index);
        checkOutput("gather", out);
        checkIndexed("gather", src, axis, index, out);
        IndexOps.gather(src, axis, index, out);
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        checkInput("scatterAdd", src);
        checkInput("scatterAdd", index);
        checkOutput("scatterAdd", out);
        checkIndexed("scatterAdd", out, axis, index, src);
        IndexOps.scatterAdd(src, axis, index, out);
    }

    @Override
    public void random(Distribution distribution, long seed, long offset, View out) {
        checkOutput("random", out);
        if (!out.dtype().isFloating()) {
            throw new DTypeException("random " + distribution + ": expected a floating-point output, got " + out.dtype());
        }
        RandomFill.fill(distribution, seed, offset, out);
    }

    /** GEMM-based convolutions and linear layers, direct pooling and normalization loops (see {@link CpuFastPaths}). */
    @Override
    public dev.kiln.spi.FastPaths fastPaths() { return fastPaths; }

    /** Nothing to wait for: every primitive has finished when it returns. */
    @Override
    public void synchronize() {}

    @Override
    public void close() { allocator.releaseCache(); }

    // ---- checks ----

    private static CpuBuffer own(String op, Buffer b) {
        if (b instanceof CpuBuffer c) return c;
        throw new KilnException(op + ": buffer " + b + " does not belong to the cpu backend");
    }

    private static void checkRange(String op, CpuBuffer b, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.byteSize()) {
            throw new KilnException(op + ": byte range [" + offset + ", " + (offset + bytes) + ") is outside the buffer of "
                    + b.byteSize() + " bytes");
        }
    }

    private void checkInput(String op, View v) {
        own(op, v.buffer());
        if (v.rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.rank() + " exceeds " + MAX_RANK + " in " + v);
        for (int d : v.shape()) if (d < 0) throw new ShapeException(op + ": negative extent in " + v);
        if (v.numel() > 0) {
            long[] span = v.elementSpan();
            if (span[0] < 0 || (span[1] + 1) * v.dtype().byteSize() > v.buffer().byteSize()) {
                throw new KilnException(op + ": " + v + " reaches elements [" + span[0] + ", " + span[1]
                        + "] outside its buffer of " + v.buffer().byteSize() + " bytes");
            }
        }
    }

    private void checkOutput(String op, View v) {
        checkInput(op, v);
        for (int d = 0; d < v.rank(); d++) {
            if (v.strides()[d] == 0 && v.shape()[d] > 1) {
                throw new ShapeException(op + ": output " + v + " is broadcast (stride 0 on axis " + d + "); outputs must not repeat elements");
            }
        }
    }

    private static void sameShape(String op, View out, View... in) {
        for (View v : in) {
            if (!Arrays.equals(v.shape(), out.shape())) {
                throw new ShapeException(op + ": input " + Arrays.toString(v.shape()) + " must have the output's shape "
                        + Arrays.toString(out.shape()) + " (broadcast with stride-0 axes)");
            }
        }
    }

    private static void sameDType(String op, View a, View b) {
        if (a.dtype() != b.dtype()) throw new DTypeException(op + ": expected one dtype, got " + a.dtype() + " and " + b.dtype());
    }

    /**
     * Gather/scatter shapes: {@code indexed} is the tensor addressed through the index (src of gather,
     * out of scatter), {@code dense} the one the index has the shape of.
     */
    private static void checkIndexed(String op, View indexed, int axis, View index, View dense) {
        int r = dense.rank();
        if (indexed.rank() != r || index.rank() != r) {
            throw new ShapeException(op + ": expected equal ranks, got " + Arrays.toString(indexed.shape()) + ", index "
                    + Arrays.toString(index.shape()) + ", " + Arrays.toString(dense.shape()));
        }
        if (axis < 0 || axis >= r) {
            throw new ShapeException(op + ": axis " + axis + " is out of range for rank " + r);
        }
        if (index.dtype() != DType.I32 && index.dtype() != DType.I64) {
            throw new DTypeException(op + ": expected an I32 or I64 index, got " + index.dtype());
        }
        if (!Arrays.equals(index.shape(), dense.shape())) {
            throw new ShapeException(op + ": index " + Arrays.toString(index.shape()) + " must have shape " + Arrays.toString(dense.shape()));
        }
        for (int d = 0; d < r; d++) {
            if (d != axis && indexed.shape()[d] != dense.shape()[d]) {
                throw new ShapeException(op + ": " + Arrays.toString(indexed.shape()) + " and " + Arrays.toString(dense.shape())
                        + " must agree on every axis but " + axis);
            }
        }
        if (indexed.dtype() != dense.dtype()) {
            throw new DTypeException(op + ": expected one dtype for data, got " + indexed.dtype() + " and " + dense.dtype());
        }
    }
}
