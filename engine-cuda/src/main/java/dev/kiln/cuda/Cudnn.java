package dev.kiln.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * cuDNN 9 bound through FFM: handles, 4-d tensor/filter/convolution descriptors, convolution forward and
 * both backward passes with measured algorithm choice. Signatures and enum values as cudnn_*.h declare
 * them (read from the bytedeco-generated classes).
 */
public final class Cudnn {
    public static final List<String> SONAMES = List.of("libcudnn.so.9");
    /** cuDNN 9 loads these by soname; loading them first from the same folder makes pip-installed copies work. */
    static final List<String> SUBLIBRARIES = List.of("libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
            "libcudnn_adv.so.9");

    public static final int DATA_FLOAT = 0, TENSOR_NCHW = 0, CROSS_CORRELATION = 1;
    public static final int DEFAULT_MATH = 0, FMA_MATH = 3;
    /** Size of cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: algo, status, time, size_t memory, determinism, mathType, int[3]. */
    static final long PERF_BYTES = 48;
    static final int PERF_ALGO = 0, PERF_STATUS = 4, PERF_MEMORY = 16;
    static final int REQUESTED_ALGOS = 16;

    /** The three convolution directions. */
    public enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /** An algorithm and the workspace it needs. */
    public record Algorithm(int algo, long workspaceBytes) {}

    private final MethodHandle create, destroy, setStream, getVersion, createTensor, setTensor4d, destroyTensor,
            createFilter, setFilter4d, destroyFilter, createConv, setConv2d, setGroupCount, setMathType, destroyConv,
            findFwd, findBwdData, findBwdFilter, convFwd, convBwdData, convBwdFilter, addTensor;

    public Cudnn(LibraryLocator locator, Arena arena) {
        SymbolLookup lib = locator.load("cuDNN", SONAMES, arena);
        locator.find(SONAMES).map(Path::getParent).ifPresent(dir -> preloadSublibraries(dir, arena));
        Linker l = Linker.nativeLinker();
        create = Nvrtc.bind(l, lib, "cudnnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = Nvrtc.bind(l, lib, "cudnnDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = Nvrtc.bind(l, lib, "cudnnSetStream", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getVersion = Nvrtc.bind(l, lib, "cudnnGetVersion", FunctionDescriptor.of(JAVA_LONG));
        createTensor = Nvrtc.bind(l, lib, "cudnnCreateTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // (desc, format, dataType, n, c, h, w)
        setTensor4d = Nvrtc.bind(l, lib, "cudnnSetTensor4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        destroyTensor = Nvrtc.bind(l, lib, "cudnnDestroyTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        createFilter = Nvrtc.bind(l, lib, "cudnnCreateFilterDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // (desc, dataType, format, k, c, h, w)
        setFilter4d = Nvrtc.bind(l, lib, "cudnnSetFilter4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        destroyFilter = Nvrtc.bind(l, lib, "cudnnDestroyFilterDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        createConv = Nvrtc.bind(l, lib, "cudnnCreateConvolutionDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // (desc, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType)
        setConv2d = Nvrtc.bind(l, lib, "cudnnSetConvolution2dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        setGroupCount = Nvrtc.bind(l, lib, "cudnnSetConvolutionGroupCount", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        setMathType = Nvrtc.bind(l, lib, "cudnnSetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        destroyConv = Nvrtc.bind(l, lib, "cudnnDestroyConvolutionDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // (handle, inDesc, in, filterOrDyDesc, ptr, convDesc, outDesc, out, requested, int* returned, perf*, workspace, size_t)
        FunctionDescriptor find = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
        findFwd = Nvrtc.bind(l, lib, "cudnnFindConvolutionForwardAlgorithmEx", find);
        findBwdData = Nvrtc.bind(l, lib, "cudnnFindConvolutionBackwardDataAlgorithmEx", find);
        findBwdFilter = Nvrtc.bind(l, lib, "cudnnFindConvolutionBackwardFilterAlgorithmEx", find);
        // (handle, alpha*, desc1, p1, desc2, p2, convDesc, algo, workspace, size_t, beta*, outDesc, out)
        FunctionDescriptor run = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS);
        convFwd = Nvrtc.bind(l, lib, "cudnnConvolutionForward", run);
        convBwdData = Nvrtc.bind(l, lib, "cudnnConvolutionBackwardData", run);
        convBwdFilter = Nvrtc.bind(l, lib, "cudnnConvolutionBackwardFilter", run);
        // (handle, alpha*, aDesc, A, beta*, cDesc, C)
        addTensor = Nvrtc.bind(l, lib, "cudnnAddTensor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS));
    }

    private static void preloadSublibraries(Path dir, Arena arena) {
        for (String name : SUBLIBRARIES) {
            Path p = dir.resolve(name);
            if (!Files.isRegularFile(p)) continue;
            try {
                SymbolLookup.libraryLookup(p, arena);
            } catch (IllegalArgumentException e) {
                // cuDNN reports the missing sublibrary itself (CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED) when it needs it
            }
        }
    }

    static void check(int status, String what) {
        if (status != 0) throw new BackendException("cuDNN call failed: " + what, CudnnStatus.name(status));
    }

    private static RuntimeException rethrow(Throwable t) { return Nvrtc.rethrow(t); }

    /** cuDNN's version number, e.g. 91900 for 9.19.0. */
    public long version() {
        try {
            return (long) getVersion.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment createHandle(long stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) create.invokeExact(p), "cudnnCreate");
            MemorySegment h = p.get(ADDRESS, 0);
            check((int) setStream.invokeExact(h, MemorySegment.ofAddress(stream)), "cudnnSetStream");
            return h;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroyHandle(MemorySegment h) {
        try {
            check((int) destroy.invokeExact(h), "cudnnDestroy");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The descriptors of one convolution, destroyed together. */
    public final class ConvDescriptors implements AutoCloseable {
        final MemorySegment x, w, y, conv;

        ConvDescriptors(ConvGeometry g, int mathType) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                check((int) createTensor.invokeExact(p), "cudnnCreateTensorDescriptor");
                x = p.get(ADDRESS, 0);
                check((int) createTensor.invokeExact(p), "cudnnCreateTensorDescriptor");
                y = p.get(ADDRESS, 0);
                check((int) createFilter.invokeExact(p), "cudnnCreateFilterDescriptor");
                w = p.get(ADDRESS, 0);
                check((int) createConv.invokeExact(p), "cudnnCreateConvolutionDescriptor");
                conv = p.get(ADDRESS, 0);
                int[] xs = g.input(), ws = g.weight(), ys = g.output();
                check((int) setTensor4d.invokeExact(x, TENSOR_NCHW, DATA_FLOAT, xs[0], xs[1], xs[2], xs[3]), "cudnnSetTensor4dDescriptor x " + g);
                check((int) setTensor4d.invokeExact(y, TENSOR_NCHW, DATA_FLOAT, ys[0], ys[1], ys[2], ys[3]), "cudnnSetTensor4dDescriptor y " + g);
                check((int) setFilter4d.invokeExact(w, DATA_FLOAT, TENSOR_NCHW, ws[0], ws[1], ws[2], ws[3]), "cudnnSetFilter4dDescriptor " + g);
                check((int) setConv2d.invokeExact(conv, g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilationH(),
                        g.dilationW(), CROSS_CORRELATION, DATA_FLOAT), "cudnnSetConvolution2dDescriptor " + g);
                check((int) setGroupCount.invokeExact(conv, g.groups()), "cudnnSetConvolutionGroupCount " + g);
                check((int) setMathType.invokeExact(conv, mathType), "cudnnSetConvolutionMathType");
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            try {
                check((int) destroyTensor.invokeExact(x), "cudnnDestroyTensorDescriptor");
                check((int) destroyTensor.invokeExact(y), "cudnnDestroyTensorDescriptor");
                check((int) destroyFilter.invokeExact(w), "cudnnDestroyFilterDescriptor");
                check((int) destroyConv.invokeExact(conv), "cudnnDestroyConvolutionDescriptor");
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    public ConvDescriptors descriptors(ConvGeometry g, int mathType) { return new ConvDescriptors(g, mathType); }

    /**
     * Measures the algorithms for one direction (cudnnFind*AlgorithmEx runs each on the given buffers,
     * overwriting the output) and returns the fastest that succeeded within {@code workspaceBytes}.
     */
    public Algorithm find(MemorySegment handle, Direction dir, ConvDescriptors d, long x, long w, long y,
                          long workspace, long workspaceBytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment returned = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(PERF_BYTES * REQUESTED_ALGOS, 8);
            MemorySegment ws = MemorySegment.ofAddress(workspace);
            int rc = switch (dir) {
                case FORWARD -> (int) findFwd.invokeExact(handle, d.x, MemorySegment.ofAddress(x), d.w, MemorySegment.ofAddress(w),
                        d.conv, d.y, MemorySegment.ofAddress(y), REQUESTED_ALGOS, returned, perf, ws, workspaceBytes);
                case BACKWARD_DATA -> (int) findBwdData.invokeExact(handle, d.w, MemorySegment.ofAddress(w), d.y,
                        MemorySegment.ofAddress(y), d.conv, d.x, MemorySegment.ofAddress(x), REQUESTED_ALGOS, returned, perf, ws,
                        workspaceBytes);
                case BACKWARD_FILTER -> (int) findBwdFilter.invokeExact(handle, d.x, MemorySegment.ofAddress(x), d.y,
                        MemorySegment.ofAddress(y), d.conv, d.w, MemorySegment.ofAddress(w), REQUESTED_ALGOS, returned, perf, ws,
                        workspaceBytes);
            };
            check(rc, "cudnnFindConvolution" + dir + "AlgorithmEx");
            List<long[]> results = new ArrayList<>();
            for (int i = 0; i < returned.get(JAVA_INT, 0); i++) {
                MemorySegment r = perf.asSlice(i * PERF_BYTES, PERF_BYTES);
                results.add(new long[] {r.get(JAVA_INT, PERF_ALGO), r.get(JAVA_INT, PERF_STATUS), r.get(JAVA_LONG, PERF_MEMORY)});
            }
            return choose(results, workspaceBytes, dir);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The first (fastest: cuDNN sorts by time) result with status success and memory within the limit. */
    static Algorithm choose(List<long[]> results, long workspaceBytes, Direction dir) {
        for (long[] r : results) {
            if (r[1] == 0 && r[2] <= workspaceBytes) return new Algorithm((int) r[0], r[2]);
        }
        throw new BackendException("cuDNN found no usable " + dir + " convolution algorithm among " + results.size()
                + " within " + workspaceBytes + " workspace bytes", "CUDNN_STATUS_NOT_SUPPORTED");
    }

    /** Runs one direction: FORWARD y = conv(x, w); BACKWARD_DATA x = convT(y, w); BACKWARD_FILTER w = corr(x, y). */
    public void run(MemorySegment handle, Direction dir, ConvDescriptors d, Algorithm algo, long x, long w, long y,
                    long workspace, MemorySegment scalars) {
        MemorySegment alpha = scalars.asSlice(0, 4), beta = scalars.asSlice(4, 4);
        alpha.set(JAVA_FLOAT, 0, 1f);
        beta.set(JAVA_FLOAT, 0, 0f);
        MemorySegment ws = MemorySegment.ofAddress(workspace);
        try {
            int rc = switch (dir) {
                case FORWARD -> (int) convFwd.invokeExact(handle, alpha, d.x, MemorySegment.ofAddress(x), d.w,
                        MemorySegment.ofAddress(w), d.conv, algo.algo(), ws, algo.workspaceBytes(), beta, d.y, MemorySegment.ofAddress(y));
                case BACKWARD_DATA -> (int) convBwdData.invokeExact(handle, alpha, d.w, MemorySegment.ofAddress(w), d.y,
                        MemorySegment.ofAddress(y), d.conv, algo.algo(), ws, algo.workspaceBytes(), beta, d.x, MemorySegment.ofAddress(x));
                case BACKWARD_FILTER -> (int) convBwdFilter.invokeExact(handle, alpha, d.x, MemorySegment.ofAddress(x), d.y,
                        MemorySegment.ofAddress(y), d.conv, algo.algo(), ws, algo.workspaceBytes(), beta, d.w, MemorySegment.ofAddress(w));
            };
            check(rc, "cudnnConvolution" + dir);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** y += bias broadcast over [1, C, 1, 1]. */
    public void addBias(MemorySegment handle, int[] outputShape, long bias, long y, MemorySegment scalars) {
        MemorySegment alpha = scalars.asSlice(0, 4), beta = scalars.asSlice(4, 4);
        alpha.set(JAVA_FLOAT, 0, 1f);
        beta.set(JAVA_FLOAT, 0, 1f);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) createTensor.invokeExact(p), "cudnnCreateTensorDescriptor");
            MemorySegment bd = p.get(ADDRESS, 0);
            check((int) createTensor.invokeExact(p), "cudnnCreateTensorDescriptor");
            MemorySegment yd = p.get(ADDRESS, 0);
            try {
                check((int) setTensor4d.invokeExact(bd, TENSOR_NCHW, DATA_FLOAT, 1, outputShape[1], 1, 1), "bias descriptor");
                check((int) setTensor4d.invokeExact(yd, TENSOR_NCHW, DATA_FLOAT, outputShape[0], outputShape[1], outputShape[2],
                        outputShape[3]), "output descriptor");
                check((int) addTensor.invokeExact(handle, alpha, bd, MemorySegment.ofAddress(bias), beta, yd, MemorySegment.ofAddress(y)),
                        "cudnnAddTensor");
            } finally {
                check((int) destroyTensor.invokeExact(bd), "cudnnDestroyTensorDescriptor");
                check((int) destroyTensor.invokeExact(yd), "cudnnDestroyTensorDescriptor");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
