package dev.kiln.cuda;

import static dev.kiln.cuda.CudaErrors.checkDriver;

import dev.kiln.BackendException;
import dev.kiln.DType;
import dev.kiln.DTypeException;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device: the primary context, a stream per calling thread, a caching allocator, the primitives
 * on NVRTC-compiled kernels of native-kernels, and matrix products on cuBLAS.
 */
public final class CudaBackend implements Backend {
    private final int index;
    private final CudaLibraries libs;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String deviceName;
    private final long totalMemory;
    private final int sm;
    private final int driverVersion;
    private final Precision precision;
    private final KernelCompiler compiler;
    private final KernelCompiler.Target target;
    private final CachingAllocator<CudaBuffer> allocator;
    private final Map<String, CUmodule> modules = new ConcurrentHashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final CudaFastPaths fastPaths = new CudaFastPaths(this);
    private final ThreadLocal<ExecutionContext> contexts = new ThreadLocal<>();
    private final List<ExecutionContext> allContexts = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    CudaBackend(int index, CudaLibraries libs, Precision precision) {
        this.index = index;
        this.libs = libs;
        this.precision = precision;
        checkDriver(JCudaDriver.cuDeviceGet(device, index), "cuDeviceGet " + index);
        byte[] name = new byte[256];
        checkDriver(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        deviceName = new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8);
        long[] mem = new long[1];
        checkDriver(JCudaDriver.cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
        totalMemory = mem[0];
        int[] v = new int[1];
        checkDriver(JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "compute capability");
        int major = v[0];
        checkDriver(JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "compute capability");
        sm = major * 10 + v[0];
        checkDriver(JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
        driverVersion = v[0];
        checkDriver(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        compiler = new KernelCompiler(libs.nvrtc, KernelCompiler.defaultCacheDir());
        target = KernelCompiler.target(sm, libs.nvrtc.supportedArchs());
        allocator = new CachingAllocator<>(name(), new DeviceMemory());
    }

    @Override
    public String name() { return "cuda:" + index; }

    @Override
    public String description() {
        return deviceName + ", " + String.format(java.util.Locale.ROOT, "%.1f GiB", totalMemory / (double) (1L << 30)) + ", sm_" + sm
                + ", driver " + version(driverVersion) + ", NVRTC " + version(libs.nvrtc.version()) + " (" + target.tag()
                + "), GEMM precision " + precision.name().toLowerCase(java.util.Locale.ROOT)
                + "; fast paths: own kernels for " + CudaFastPaths.OWN_KERNELS + ", "
                + (libs.cudnn != null ? "cuDNN " + cudnnVersion(libs.cudnn.version()) + " for conv2d and its backward passes"
                        : "composite conv2d (" + libs.cudnnMissing + ")")
                + ", composite defaults for the rest";
    }

    /**
     * The GPU and the versions of the driver and libraries it runs on, for bench reports: gpu,
     * compute_capability, memory, driver (the NVIDIA driver release, where /proc says), cuda (the CUDA
     * version the driver implements, cuDriverGetVersion), cublas, cudnn, nvrtc.
     */
    @Override
    public Map<String, String> properties() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("gpu", deviceName);
        m.put("compute_capability", sm / 10 + "." + sm % 10);
        m.put("memory", String.format(java.util.Locale.ROOT, "%.1f GiB", totalMemory / (double) (1L << 30)));
        NvidiaDriver.release().ifPresent(v -> m.put("driver", v));
        m.put("cuda", version(driverVersion));
        m.put("cublas", cublasVersion(cublasVersion()));
        m.put("cudnn", libs.cudnn != null ? cudnnVersion(libs.cudnn.version()) : "missing (" + libs.cudnnMissing + ")");
        m.put("nvrtc", version(nvrtcVersion()));
        return m;
    }

    /** The GPU's name, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String deviceName() { return deviceName; }

    /** cuDriverGetVersion: the CUDA version the driver implements, {@code major * 1000 + minor * 10}. */
    public int driverVersion() { return driverVersion; }

    /** cublasGetVersion: {@code major * 10000 + minor * 100 + patch} (CUDA 12 and later). */
    public int cublasVersion() { return libs.cublas.version(context().cublas(libs.cublas, precision)); }

    /** cudnnGetVersion ({@code major * 10000 + minor * 100 + patch} for cuDNN 9), or empty without cuDNN. */
    public java.util.OptionalLong cudnnVersion() {
        return libs.cudnn == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(libs.cudnn.version());
    }

    /** nvrtcVersion: {@code major * 1000 + minor * 10}. */
    public int nvrtcVersion() { return libs.nvrtc.version(); }

    static String cudnnVersion(long v) { return v / 10000 + "." + (v % 10000) / 100 + "." + v % 100; }

    static String cublasVersion(int v) { return v / 10000 + "." + (v % 10000) / 100 + "." + v % 100; }

    static String version(int v) { return v / 1000 + "." + (v % 1000) / 10; }

    public Precision precision() { return precision; }

    @Override
    public Set<DType> dtypes() { return EnumSet.allOf(DType.class); }

    // ---- contexts ----

    /** The calling thread's context, created on first use; the primary context is made current on every call. */
    ExecutionContext context() {
        if (closed) throw new IllegalStateException(name() + " is closed");
        checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        ExecutionContext ctx = contexts.get();
        if (ctx == null) {
            ctx = new ExecutionContext();
            contexts.set(ctx);
            allContexts.add(ctx);
        }
        return ctx;
    }

    // ---- cuDNN convolution ----

    /** Workspace offered to cuDNN while it measures algorithms; smaller when memory is short. */
    static final long[] FIND_WORKSPACE_BYTES = {256L << 20, 16L << 20, 0};

    private record ConvKey(Cudnn.Direction direction, ConvGeometry geometry, Precision precision) {}

    private final Map<ConvKey, Cudnn.Algorithm> convAlgorithms = new ConcurrentHashMap<>();

    boolean hasCudnn() { return libs.cudnn != null; }

    /** Strict FP32 (FMA kernels only) in fp32 mode; TF32 tensor cores allowed in tf32 and bf16 modes. */
    private int convMathType() { return precision == Precision.FP32 ? Cudnn.FMA_MATH : Cudnn.DEFAULT_MATH; }

    /**
     * One cuDNN convolution pass between device addresses x, w and y (which of them is written depends on
     * the direction). The algorithm is measured on first use of each (direction, geometry) and cached.
     */
    void convolution(Cudnn.Direction dir, ConvGeometry g, long x, long w, long y) {
        ExecutionContext ctx = context();
        Cudnn dnn = libs.cudnn;
        MemorySegment handle = ctx.cudnn(dnn);
        try (Cudnn.ConvDescriptors d = dnn.descriptors(g, convMathType())) {
            ConvKey key = new ConvKey(dir, g, precision);
            Cudnn.Algorithm algo = convAlgorithms.get(key);
            if (algo == null) {
                algo = measure(dnn, handle, dir, d, x, w, y);
                convAlgorithms.putIfAbsent(key, algo);
            }
            Buffer ws = algo.workspaceBytes() > 0 ? allocate(algo.workspaceBytes()) : null;
            try {
                dnn.run(handle, dir, d, algo, x, w, y, ws == null ? 0 : cuda(ws).address, ctx.scalars);
            } finally {
                if (ws != null) free(ws);
            }
        }
    }

    private Cudnn.Algorithm measure(Cudnn dnn, MemorySegment handle, Cudnn.Direction dir, Cudnn.ConvDescriptors d,
                                    long x, long w, long y) {
        for (long bytes : FIND_WORKSPACE_BYTES) {
            Buffer ws;
            try {
                ws = bytes > 0 ? allocate(bytes) : null;
            } catch (dev.kiln.DeviceOutOfMemoryException e) {
                continue;
            }
            try {
                return dnn.find(handle, dir, d, x, w, y, ws == null ? 0 : cuda(ws).address, bytes);
            } finally {
                if (ws != null) free(ws);
            }
        }
        throw new IllegalStateException("unreachable: the last workspace size is 0");
    }

    void addBias(int[] outputShape, long bias, long y) {
        ExecutionContext ctx = context();
        libs.cudnn.addBias(ctx.cudnn(libs.cudnn), outputShape, bias, y, ctx.scalars);
    }

    // ---- memory ----

    /** Raw device memory under the caching allocator. */
    private final class DeviceMemory implements CachingAllocator.Device<CudaBuffer> {
        @Override
        public CudaBuffer allocate(long bytes) {
            DevicePointer p = new DevicePointer();
            int rc = JCudaDriver.cuMemAlloc(p, bytes);
            if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return null;
            checkDriver(rc, "cuMemAlloc " + bytes + " bytes");
            return new CudaBuffer(p, bytes);
        }

        @Override
        public void free(CudaBuffer b) {
            if (b.releasedAt != null) {
                // the last queued use of the block must finish before the memory goes back to the driver
                if (b.releasePending) checkDriver(JCudaDriver.cuEventSynchronize(b.releasedAt), "cuEventSynchronize");
                JCudaDriver.cuEventDestroy(b.releasedAt);
            }
            checkDriver(JCudaDriver.cuMemFree(b.pointer), "cuMemFree");
        }
    }

    @Override
    public Buffer allocate(long bytes) {
        ExecutionContext ctx = context();
        CudaBuffer b = allocator.allocate(bytes);
        if (b.releasePending) {
            checkDriver(JCudaDriver.cuStreamWaitEvent(ctx.stream, b.releasedAt, 0), "cuStreamWaitEvent");
            b.releasePending = false;
        }
        return b;
    }

    @Override
    public void free(Buffer buffer) {
        CudaBuffer b = cuda(buffer);
        ExecutionContext ctx = context();
        if (b.releasedAt == null) {
            b.releasedAt = new CUevent();
            checkDriver(JCudaDriver.cuEventCreate(b.releasedAt, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        }
        checkDriver(JCudaDriver.cuEventRecord(b.releasedAt, ctx.stream), "cuEventRecord");
        b.releasePending = true;
        allocator.free(b);
    }

    @Override
    public long bytesInUse() { return allocator.bytesInUse(); }

    /** Bytes held in the allocator's cache (freed, not returned to the driver). */
    public long bytesCached() { return allocator.bytesCached(); }

    CudaBuffer cuda(Buffer b) {
        if (b instanceof CudaBuffer c) return c;
        throw new dev.kiln.DeviceMismatchException(name() + ": buffer " + b + " does not belong to a CUDA backend");
    }

    private static void checkRange(String op, Buffer b, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.byteSize()) {
            throw new ShapeException(op + ": byte range [" + offset + ", " + (offset + bytes) + ") outside a buffer of "
                    + b.byteSize() + " bytes");
        }
    }

    @Override
    public void upload(MemorySegment src, Buffer dst, long dstOffset) {
        CudaBuffer d = cuda(dst);
        long bytes = src.byteSize();
        checkRange("upload", dst, dstOffset, bytes);
        ExecutionContext ctx = context();
        if (src.isNative()) {
            for (long done = 0; done < bytes; ) {
                long n = Math.min(bytes - done, 1L << 30);
                Pointer host = Pointer.to(src.asSlice(done, n).asByteBuffer());
                checkDriver(JCudaDriver.cuMemcpyHtoDAsync(d.pointer.withByteOffset(dstOffset + done), host, n, ctx.stream), "cuMemcpyHtoDAsync");
                done += n;
            }
            ctx.synchronize();   // the caller may release src as soon as we return
            return;
        }
        ByteBuffer staging = ctx.staging();
        MemorySegment pinned = MemorySegment.ofBuffer(staging);
        for (long done = 0; done < bytes; ) {
            long n = Math.min(bytes - done, ExecutionContext.STAGING_BYTES);
            ctx.synchronize();   // the previous chunk has left the staging buffer
            MemorySegment.copy(src, done, pinned, 0, n);
            checkDriver(JCudaDriver.cuMemcpyHtoDAsync(d.pointer.withByteOffset(dstOffset + done), ctx.stagingPointer(), n, ctx.stream), "cuMemcpyHtoDAsync");
            done += n;
        }
        ctx.synchronize();
    }

    @Override
    public void download(Buffer src, long srcOffset, MemorySegment dst) {
        CudaBuffer s = cuda(src);
        long bytes = dst.byteSize();
        checkRange("download", src, srcOffset, bytes);
        ExecutionContext ctx = context();
        if (dst.isNative()) {
            for (long done = 0; done < bytes; ) {
                long n = Math.min(bytes - done, 1L << 30);
                Pointer host = Pointer.to(dst.asSlice(done, n).asByteBuffer());
                checkDriver(JCudaDriver.cuMemcpyDtoHAsync(host, s.pointer.withByteOffset(srcOffset + done), n, ctx.stream), "cuMemcpyDtoHAsync");
                done += n;
            }
            ctx.synchronize();
            return;
        }
        MemorySegment pinned = MemorySegment.ofBuffer(ctx.staging());
        for (long done = 0; done < bytes; ) {
            long n = Math.min(bytes - done, ExecutionContext.STAGING_BYTES);
            checkDriver(JCudaDriver.cuMemcpyDtoHAsync(ctx.stagingPointer(), s.pointer.withByteOffset(srcOffset + done), n, ctx.stream), "cuMemcpyDtoHAsync");
            ctx.synchronize();
            MemorySegment.copy(pinned, 0, dst, done, n);
            done += n;
        }
    }

    @Override
    public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
        checkRange("copy", src, srcOffset, bytes);
        checkRange("copy", dst, dstOffset, bytes);
        if (bytes == 0) return;
        ExecutionContext ctx = context();
        checkDriver(JCudaDriver.cuMemcpyDtoDAsync(cuda(dst).pointer.withByteOffset(dstOffset),
                cuda(src).pointer.withByteOffset(srcOffset), bytes, ctx.stream), "cuMemcpyDtoDAsync");
    }

    // ---- kernels ----

    private CUfunction function(String kernel) {
        return functions.computeIfAbsent(kernel, k -> {
            CUmodule module = modules.computeIfAbsent(KernelSources.programOf(k), program -> {
                CUmodule m = new CUmodule();
                checkDriver(JCudaDriver.cuModuleLoadData(m, compiler.binary(program, target)), "cuModuleLoadData " + program);
                return m;
            });
            CUfunction f = new CUfunction();
            checkDriver(JCudaDriver.cuModuleGetFunction(f, module, k), "cuModuleGetFunction " + k);
            return f;
        });
    }

    /** Launches on the calling thread's stream; for the fast paths. */
    void launch(String kernel, int blocks, int threads, Launch args) { launch(context(), kernel, blocks, threads, args); }

    /** A launch on a (gridX, gridY) grid; gridY at most 65535. */
    void launch2d(String kernel, int gridX, int gridY, int threads, Launch args) {
        ExecutionContext ctx = context();
        checkDriver(JCudaDriver.cuLaunchKernel(function(kernel), gridX, gridY, 1, threads, 1, 1, 0, ctx.stream,
                args.params(), null), "cuLaunchKernel " + kernel);
    }

    private void launch(ExecutionContext ctx, String kernel, int blocks, int threads, Launch args) {
        checkDriver(JCudaDriver.cuLaunchKernel(function(kernel), blocks, 1, 1, threads, 1, 1, 0, ctx.stream,
                args.params(), null), "cuLaunchKernel " + kernel);
    }

    private static void checkRank(String op, View... views) {
        for (View v : views) {
            if (v.rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.rank() + " above " + MAX_RANK + " for " + v);
        }
    }

    private static void checkSameShape(String op, View out, View... ins) {
        for (View v : ins) {
            if (!Arrays.equals(v.shape(), out.shape())) {
                throw new ShapeException(op + ": input shape " + Arrays.toString(v.shape()) + " must equal output shape "
                        + Arrays.toString(out.shape()) + " (broadcast inputs with stride-0 axes)");
            }
        }
    }

    @Override
    public void fill(View out, double value) {
        checkRank("fill", out);
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        KernelView ov = KernelView.coalesce(out.shape(), out)[0];
        launch(ctx, "fill_" + OpCodes.dtype(out.dtype()), Launch.blocksFor(n, Launch.THREADS), Launch.THREADS,
                new Launch().ptr(cuda(out.buffer())).view(ov).i64(n).f64(value));
    }

    @Override
    public void unary(UnaryOp op, View x, View out) {
        checkRank("unary " + op, x, out);
        checkSameShape("unary " + op, out, x);
        if (!x.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException("unary " + op + " takes floating inputs, got " + x.dtype() + " " + Arrays.toString(x.shape()));
        }
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        KernelView[] kv = KernelView.coalesce(out.shape(), out, x);
        launch(ctx, "unary_" + OpCodes.dtype(x.dtype()) + "_" + OpCodes.dtype(out.dtype()), Launch.blocksFor(n, Launch.THREADS),
                Launch.THREADS, new Launch().i32(OpCodes.unary(op)).ptr(cuda(x.buffer())).view(kv[1])
                        .ptr(cuda(out.buffer())).view(kv[0]).i64(n));
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        checkRank("binary " + op, a, b, out);
        checkSameShape("binary " + op, out, a, b);
        if (a.dtype() != b.dtype()) {
            throw new DTypeException("binary " + op + ": inputs must share a dtype, got " + a.dtype() + " and " + b.dtype());
        }
        if (!a.dtype().isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException("binary " + op + " takes floating inputs, got " + a.dtype());
        }
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        KernelView[] kv = KernelView.coalesce(out.shape(), out, a, b);
        launch(ctx, "binary_" + OpCodes.dtype(a.dtype()) + "_" + OpCodes.dtype(out.dtype()), Launch.blocksFor(n, Launch.THREADS),
                Launch.THREADS, new Launch().i32(OpCodes.binary(op)).ptr(cuda(a.buffer())).view(kv[1])
                        .ptr(cuda(b.buffer())).view(kv[2]).ptr(cuda(out.buffer())).view(kv[0]).i64(n));
    }

    @Override
    public void ternary(TernaryOp op, View a, View b, View c, View out) {
        checkRank("ternary " + op, a, b, c, out);
        checkSameShape("ternary " + op, out, a, b, c);
        boolean where = op == TernaryOp.WHERE;
        if (b.dtype() != out.dtype() || c.dtype() != out.dtype() || (!where && a.dtype() != out.dtype())) {
            throw new DTypeException("ternary " + op + ": dtypes " + a.dtype() + ", " + b.dtype() + ", " + c.dtype() + " -> "
                    + out.dtype() + (where ? " (b, c and out must share one)" : " (all must be equal)"));
        }
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        KernelView[] kv = KernelView.coalesce(out.shape(), out, a, b, c);
        String kernel = where ? "where_" + OpCodes.dtype(a.dtype()) + "_" + OpCodes.dtype(out.dtype()) : "clamp_" + OpCodes.dtype(out.dtype());
        launch(ctx, kernel, Launch.blocksFor(n, Launch.THREADS), Launch.THREADS, new Launch()
                .ptr(cuda(a.buffer())).view(kv[1]).ptr(cuda(b.buffer())).view(kv[2]).ptr(cuda(c.buffer())).view(kv[3])
                .ptr(cuda(out.buffer())).view(kv[0]).i64(n));
    }

    @Override
    public void reduce(ReduceOp op, View x, View out) {
        checkRank("reduce " + op, x, out);
        ReducePlan plan = ReducePlan.of("reduce " + op, x, out);
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        if (arg) {
            if (plan.reducedAxes() > 1) {
                throw new ShapeException("reduce " + op + " reduces exactly one axis: input " + Arrays.toString(x.shape())
                        + ", output " + Arrays.toString(out.shape()));
            }
            if (out.dtype() != DType.I64 && out.dtype() != DType.I32) {
                throw new DTypeException("reduce " + op + " writes I64 or I32 indices, output is " + out.dtype());
            }
        }
        if (plan.outputs() == 0) return;
        ExecutionContext ctx = context();
        int blocks = (int) Math.min(plan.outputs(), Launch.MAX_BLOCKS);
        launch(ctx, "reduce_" + OpCodes.dtype(x.dtype()) + "_" + OpCodes.dtype(out.dtype()), blocks, plan.threads(),
                new Launch().i32(OpCodes.reduce(op)).ptr(cuda(x.buffer())).view(plan.outer()).view(plan.inner())
                        .ptr(cuda(out.buffer())).view(plan.out()).i64(plan.outputs()).i64(plan.length()));
    }

    @Override
    public void matmul(View a, View b, View c, float alpha, float beta) {
        checkMatmul(a, b, c);
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2];
        if (batch == 0 || m == 0 || n == 0) return;
        if (a.shape()[2] == 0) {
            scaleInPlace(c, beta);   // an empty sum: c = beta * c, and c is not read when beta is 0
            return;
        }
        ExecutionContext ctx = context();
        boolean[] copy = GemmPlan.unmappable(a, b, c);
        View a2 = copy[0] ? contiguousCopy(a) : a;
        View b2 = copy[1] ? contiguousCopy(b) : b;
        View c2 = c;
        if (copy[2]) {
            c2 = View.contiguous(allocate(c.numel() * 4), DType.F32, 0, c.shape());
            if (beta != 0) unary(UnaryOp.COPY, c, c2);
        }
        try {
            GemmPlan.Call call = GemmPlan.plan(a2, b2, c2);
            if (call == null) throw new IllegalStateException("no cuBLAS mapping for contiguous operands " + a2 + " " + b2 + " " + c2);
            ctx.scalars.set(ValueLayout.JAVA_FLOAT, 0, alpha);
            ctx.scalars.set(ValueLayout.JAVA_FLOAT, 4, beta);
            libs.cublas.gemm(ctx.cublas(libs.cublas, precision), precision.computeType(), call,
                    address(call.first()), address(call.second()), address(call.out()), ctx.scalars);
            if (copy[2]) unary(UnaryOp.COPY, c2, c);
        } finally {
            if (copy[0]) free(a2.buffer());
            if (copy[1]) free(b2.buffer());
            if (copy[2]) free(c2.buffer());
        }
    }

    private void scaleInPlace(View c, float beta) {
        if (beta == 0) {
            fill(c, 0);
            return;
        }
        View one = View.contiguous(allocate(4), DType.F32, 0, 1);
        try {
            fill(one, beta);
            binary(BinaryOp.MUL, c, one.broadcastTo(c.shape()), c);
        } finally {
            free(one.buffer());
        }
    }

    private static void checkMatmul(View a, View b, View c) {
        if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3) {
            throw new ShapeException("matmul takes rank-3 views a [B,M,K], b [B,K,N], c [B,M,N]; got " + a + ", " + b + ", " + c);
        }
        if (a.dtype() != DType.F32 || b.dtype() != DType.F32 || c.dtype() != DType.F32) {
            throw new DTypeException("matmul is F32 only; got " + a.dtype() + ", " + b.dtype() + ", " + c.dtype());
        }
        int[] as = a.shape(), bs = b.shape(), cs = c.shape();
        if (as[0] != cs[0] || bs[0] != cs[0] || as[1] != cs[1] || bs[2] != cs[2] || as[2] != bs[1]) {
            throw new ShapeException("matmul: a " + Arrays.toString(as) + " @ b " + Arrays.toString(bs) + " does not give c "
                    + Arrays.toString(cs) + " (expected a [B,M,K], b [B,K,N], c [B,M,N])");
        }
    }

    private View contiguousCopy(View v) {
        View out = View.contiguous(allocate(Math.max(1, v.numel()) * v.dtype().byteSize()), v.dtype(), 0, v.shape());
        unary(UnaryOp.COPY, v, out);
        return out;
    }

    private long address(View v) { return cuda(v.buffer()).address + v.offset() * v.dtype().byteSize(); }

    @Override
    public void gather(View src, int axis, View index, View out) {
        checkIndexed("gather", src, axis, index, out, out);
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        launch(ctx, "gather_" + OpCodes.dtype(src.dtype()) + "_" + OpCodes.dtype(index.dtype()), Launch.blocksFor(n, Launch.THREADS),
                Launch.THREADS, new Launch().ptr(cuda(src.buffer())).view(KernelView.of(src)).i32(axis)
                        .ptr(cuda(index.buffer())).view(KernelView.of(index)).ptr(cuda(out.buffer())).view(KernelView.of(out)).i64(n));
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        checkIndexed("scatterAdd", out, axis, index, src, src);
        long n = src.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        launch(ctx, "scatter_add_" + OpCodes.dtype(src.dtype()) + "_" + OpCodes.dtype(index.dtype()), Launch.blocksFor(n, Launch.THREADS),
                Launch.THREADS, new Launch().ptr(cuda(src.buffer())).view(KernelView.of(src)).i32(axis)
                        .ptr(cuda(index.buffer())).view(KernelView.of(index)).ptr(cuda(out.buffer())).view(KernelView.of(out)).i64(n));
    }

    /** {@code full} has index's shape; {@code along} matches it except on {@code axis}. */
    private static void checkIndexed(String op, View along, int axis, View index, View full, View sameDtype) {
        checkRank(op, along, index, full);
        if (index.dtype() != DType.I32 && index.dtype() != DType.I64) {
            throw new DTypeException(op + ": index dtype must be I32 or I64, got " + index.dtype());
        }
        if (along.dtype() != sameDtype.dtype()) {
            throw new DTypeException(op + ": source and output dtypes differ: " + along.dtype() + " vs " + sameDtype.dtype());
        }
        if (axis < 0 || axis >= full.rank() || along.rank() != full.rank() || !Arrays.equals(index.shape(), full.shape())) {
            throw new ShapeException(op + " along axis " + axis + ": index " + Arrays.toString(index.shape()) + " must equal "
                    + Arrays.toString(full.shape()) + ", and " + Arrays.toString(along.shape()) + " differ from it only on that axis");
        }
        for (int d = 0; d < full.rank(); d++) {
            if (d != axis && along.shape()[d] != full.shape()[d]) {
                throw new ShapeException(op + " along axis " + axis + ": shapes " + Arrays.toString(along.shape()) + " and "
                        + Arrays.toString(full.shape()) + " differ on axis " + d);
            }
        }
    }

    @Override
    public void random(Distribution distribution, long seed, long offset, View out) {
        checkRank("random", out);
        if (out.dtype() != DType.F32) throw new DTypeException("random writes F32, output is " + out.dtype());
        long n = out.numel();
        if (n == 0) return;
        ExecutionContext ctx = context();
        long work = distribution == Distribution.UNIFORM ? (n + 3) / 4 : (n + 1) / 2;
        String kernel = distribution == Distribution.UNIFORM ? "random_uniform" : "random_normal";
        launch(ctx, kernel, Launch.blocksFor(work, Launch.THREADS), Launch.THREADS,
                new Launch().i64(seed).i64(offset).ptr(cuda(out.buffer())).view(KernelView.of(out)).i64(n));
    }

    @Override
    public void synchronize() { context().synchronize(); }

    @Override
    public dev.kiln.spi.FastPaths fastPaths() { return fastPaths; }

    @Override
    public void close() {
        if (closed) return;
        checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        for (ExecutionContext ctx : allContexts) ctx.close(libs.cublas, libs.cudnn);
        closed = true;
        allocator.releaseCache();
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        int rc = JCudaDriver.cuDevicePrimaryCtxRelease(device);
        if (rc != CUresult.CUDA_SUCCESS) throw new BackendException("releasing the primary context of " + name(), CudaErrors.driverName(rc));
    }

    @Override
    public String toString() { return name() + " (" + deviceName + ")"; }

}
