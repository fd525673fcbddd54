package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import java.util.HashMap;
import java.util.Map;
import org.lwjgl.system.MemoryStack;

/**
 * One thread's execution context: an in-order command queue and that thread's kernel objects
 * (a cl_kernel holds its arguments, so kernels are never shared between threads).
 */
final class ExecContext {
    private record KernelKey(long program, String name) {}

    final long queue;
    private final Map<KernelKey, Long> kernels = new HashMap<>();

    ExecContext(long context, long device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var err = stack.mallocInt(1);
            queue = clCreateCommandQueue(context, device, 0, err);
            ClErrors.check(err.get(0), "clCreateCommandQueue");
        }
    }

    /** A call of kernel {@code name} of {@code program}, its arguments to be set in order. */
    KernelCall kernel(long program, String name) {
        long k = kernels.computeIfAbsent(new KernelKey(program, name), key -> {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                var err = stack.mallocInt(1);
                long kernel = clCreateKernel(program, name, err);
                ClErrors.check(err.get(0), "clCreateKernel(" + name + ")");
                return kernel;
            }
        });
        return new KernelCall(this, k, name);
    }

    void finish() { ClErrors.check(clFinish(queue), "clFinish"); }

    void release() {
        kernels.values().forEach(k -> clReleaseKernel(k));
        kernels.clear();
        clReleaseCommandQueue(queue);
    }
}
