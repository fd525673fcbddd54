package dev.kiln.spi;

import dev.kiln.DType;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;

/**
 * One device, as a plugin implements it: memory and a dozen compute primitives. Everything else
 * (convolution, pooling, normalization, RNNs, attention, losses, optimizer steps) has a default in
 * {@link FastPaths} built from these primitives; a backend overrides the ones it can do faster by
 * returning its own {@link FastPaths} from {@link #fastPaths()}.
 *
 * <p>Threads: every method may be called from many threads at once. Compute calls are enqueued on
 * the calling thread's execution context (a stream, a command queue) and may return before they
 * finish; {@link #download} and {@link #synchronize} wait for the calling thread's context.
 *
 * <p>Views given to one call may alias only where a method says so; outputs are never broadcast
 * (no stride 0 on an axis of extent > 1). Every primitive must accept any strides, and any rank
 * up to {@link #MAX_RANK}.
 */
public interface Backend {
    int MAX_RANK = 8;

    /** Device name as users write it: {@code cpu}, {@code cuda:0}, {@code opencl:1}. */
    String name();

    /** One human line: model, memory, driver or library versions. */
    String description();

    /** Dtypes this backend can store. F32, I32 and I64 are required; F16 and BF16 are optional. */
    Set<DType> dtypes();

    // ---- memory ----

    /** Allocates at least {@code bytes} bytes (contents undefined). Throws DeviceOutOfMemoryException. */
    Buffer allocate(long bytes);

    /** Returns a buffer to the backend; it must not be used again. */
    void free(Buffer buffer);

    /** Bytes currently handed out by {@link #allocate} and not freed (cached blocks excluded). */
    long bytesInUse();

    /** Copies all of {@code src} (host) into {@code dst} at {@code dstOffset} bytes. */
    void upload(MemorySegment src, Buffer dst, long dstOffset);

    /** Copies {@code dst.byteSize()} bytes from {@code src} at {@code srcOffset} to the host; waits for pending work. */
    void download(Buffer src, long srcOffset, MemorySegment dst);

    /** Device-to-device copy of {@code bytes} bytes; the ranges must not overlap. */
    void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes);

    /** Writes {@code value}, converted to the view's dtype, into every element of {@code out}. */
    void fill(View out, double value);

    // ---- compute primitives ----

    /**
     * {@code out[i] = op(x[i])}. {@code x} has {@code out}'s shape (the caller broadcasts it with
     * stride-0 axes). With {@link UnaryOp#COPY} and different dtypes this is a cast; with strided
     * views it materializes permutes, slices and windows.
     */
    void unary(UnaryOp op, View x, View out);

    /** {@code out[i] = op(a[i], b[i])}; a and b have out's shape (broadcast by strides) and one dtype. {@code out} may alias {@code a} exactly (in-place accumulate). */
    void binary(BinaryOp op, View a, View b, View out);

    /** {@code out[i] = op(a[i], b[i], c[i])}, shapes as for {@link #binary}. */
    void ternary(TernaryOp op, View a, View b, View c, View out);

    /** Reduces {@code x} into {@code out}, which has x's rank and extent 1 on each reduced axis. */
    void reduce(ReduceOp op, View x, View out);

    /**
     * Batched F32 matrix product {@code c = alpha * a @ b + beta * c} with a [B, M, K], b [B, K, N],
     * c [B, M, N]. Transposes and batch broadcasting come as strides (a batch stride of 0 repeats one
     * matrix). When {@code beta == 0}, c is not read (it may hold NaN).
     */
    void matmul(View a, View b, View c, float alpha, float beta);

    /**
     * {@code out[.., j, ..] = src[.., index[.., j, ..], ..]} along {@code axis}: index has out's shape
     * (broadcast by strides), src has out's shape except along {@code axis}. Index dtype I32 or I64.
     * An index outside [0, src.shape[axis]) must not read out of bounds: a backend throws
     * {@link dev.kiln.KilnException} when it can tell, or writes 0.
     */
    void gather(View src, int axis, View index, View out);

    /**
     * {@code out[.., index[.., j, ..], ..] += src[.., j, ..]} along {@code axis}: index has src's
     * shape, out has src's shape except along {@code axis}. Duplicate indices accumulate.
     * Out-of-range indices are skipped or reported as for {@link #gather}.
     */
    void scatterAdd(View src, int axis, View index, View out);

    /** Fills {@code out} (F32) with numbers from {@link Philox}: element i (row-major in out) as that class says. */
    void random(Distribution distribution, long seed, long offset, View out);

    /** Waits until all work enqueued by the calling thread has finished. */
    void synchronize();

    /**
     * Facts about the hardware and libraries behind this device, for reports: e.g. {@code gpu},
     * {@code driver}, {@code cuda}, {@code cublas}, {@code cudnn}, {@code nvrtc} with their versions,
     * in a stable order. Empty by default.
     */
    default Map<String, String> properties() { return Map.of(); }

    /** The fast paths this backend provides; the default composes every one from the primitives. */
    default FastPaths fastPaths() { return FastPaths.COMPOSITE; }

    /** Releases cached memory and device resources; the backend must not be used afterwards. */
    default void close() {}
}
