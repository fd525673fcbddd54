package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * Loads the OpenCL ICD loader through LWJGL and lists the devices, once per JVM. LWJGL looks for
 * the unversioned {@code libOpenCL.so} by default, which only development packages install, so the
 * versioned soname is tried first ({@code -Dkiln.opencl.library} overrides both).
 */
final class ClDiscovery {
    /** Either a reason the backend cannot run here, or the devices ordered GPUs first. */
    record Result(Optional<String> unavailableReason, List<DeviceInfo> devices) {}

    private static Result result;

    private ClDiscovery() {}

    static synchronized Result get() {
        if (result == null) result = discover();
        return result;
    }

    private static Result discover() {
        Optional<String> loadError = loadLibrary();
        if (loadError.isPresent()) return new Result(loadError, List.of());
        List<DeviceInfo> devices;
        try {
            devices = listDevices();
        } catch (RuntimeException e) {
            return new Result(Optional.of("OpenCL device discovery failed: " + e.getMessage()), List.of());
        }
        if (devices.isEmpty()) {
            return new Result(Optional.of("no OpenCL platform with a device (install a driver, e.g. pocl-opencl-icd, "
                    + "or a GPU vendor's OpenCL ICD)"), List.of());
        }
        return new Result(Optional.empty(), order(devices, System.getProperty("kiln.opencl.device")));
    }

    private static Optional<String> loadLibrary() {
        try {
            Configuration.OPENCL_EXPLICIT_INIT.set(true);   // CL must not load a library before a name is set
        } catch (Throwable e) {                              // LWJGL itself missing from the class path
            return Optional.of("LWJGL is not on the class path: " + e);
        }
        String forced = System.getProperty("kiln.opencl.library");
        List<String> names = forced != null ? List.of(forced) : List.of("libOpenCL.so.1", "OpenCL");
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            try {
                Configuration.OPENCL_LIBRARY_NAME.set(name);
                CL.create(name);
                return Optional.empty();
            } catch (Throwable e) {   // UnsatisfiedLinkError, or LWJGL's own natives missing
                failures.add(name + ": " + e.getMessage());
            }
        }
        return Optional.of("OpenCL ICD loader not found (tried " + String.join("; ", failures)
                + "); install ocl-icd-libopencl1 or set -Dkiln.opencl.library");
    }

    private static List<DeviceInfo> listDevices() {
        List<DeviceInfo> out = new ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            int err = clGetPlatformIDs(null, count);
            if (err == -1001 || (err == 0 && count.get(0) == 0)) return out;   // CL_PLATFORM_NOT_FOUND_KHR
            ClErrors.check(err, "clGetPlatformIDs");
            PointerBuffer platforms = stack.mallocPointer(count.get(0));
            ClErrors.check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                String platformName = platformString(platform, CL_PLATFORM_NAME);
                IntBuffer nd = stack.mallocInt(1);
                err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, nd);
                if (err == -1 || nd.get(0) == 0) continue;                  // CL_DEVICE_NOT_FOUND
                ClErrors.check(err, "clGetDeviceIDs");
                PointerBuffer ids = stack.mallocPointer(nd.get(0));
                ClErrors.check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids, (IntBuffer) null), "clGetDeviceIDs");
                for (int d = 0; d < ids.capacity(); d++) out.add(describe(platform, platformName, ids.get(d)));
            }
        }
        return out;
    }

    /** GPUs (and accelerators) before CPUs; the device chosen by kiln.opencl.device (index or name part) first. */
    static List<DeviceInfo> order(List<DeviceInfo> devices, String choice) {
        List<DeviceInfo> sorted = new ArrayList<>(devices);
        sorted.sort(Comparator.comparing(d -> !d.gpu()));
        if (choice == null || choice.isBlank()) return List.copyOf(sorted);
        DeviceInfo chosen = null;
        try {
            int i = Integer.parseInt(choice.trim());
            if (i >= 0 && i < sorted.size()) chosen = sorted.get(i);
        } catch (NumberFormatException e) {
            String want = choice.toLowerCase(Locale.ROOT);
            chosen = sorted.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(want)
                    || d.platformName().toLowerCase(Locale.ROOT).contains(want)).findFirst().orElse(null);
        }
        if (chosen == null) {
            throw new dev.kiln.BackendUnavailableException("kiln.opencl.device=" + choice + " matches none of "
                    + sorted.stream().map(DeviceInfo::name).toList());
        }
        sorted.remove(chosen);
        sorted.addFirst(chosen);
        return List.copyOf(sorted);
    }

    private static DeviceInfo describe(long platform, String platformName, long device) {
        long type = deviceLong(device, CL_DEVICE_TYPE);
        boolean gpu = (type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) != 0;
        String ext = deviceString(device, CL_DEVICE_EXTENSIONS);
        return new DeviceInfo(platform, device, platformName, deviceString(device, CL_DEVICE_NAME).trim(),
                deviceString(device, CL_DEVICE_VENDOR).trim(), deviceString(device, CL_DEVICE_VERSION).trim(),
                deviceString(device, CL_DRIVER_VERSION).trim(), gpu, deviceLong(device, CL_DEVICE_GLOBAL_MEM_SIZE),
                deviceLong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE), devicePointer(device, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE), deviceInt(device, CL_DEVICE_MAX_COMPUTE_UNITS),
                deviceInt(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT),
                new HashSet<>(Arrays.asList(ext.trim().split("\\s+"))));
    }

    static String deviceString(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClErrors.check(clGetDeviceInfo(device, param, (ByteBuffer) null, size), "clGetDeviceInfo");
            ByteBuffer buf = MemoryUtil.memAlloc((int) size.get(0));
            try {
                ClErrors.check(clGetDeviceInfo(device, param, buf, null), "clGetDeviceInfo");
                return cString(buf);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    static String platformString(long platform, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClErrors.check(clGetPlatformInfo(platform, param, (ByteBuffer) null, size), "clGetPlatformInfo");
            ByteBuffer buf = MemoryUtil.memAlloc((int) size.get(0));
            try {
                ClErrors.check(clGetPlatformInfo(platform, param, buf, null), "clGetPlatformInfo");
                return cString(buf);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    static String cString(ByteBuffer buf) {
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    private static long deviceLong(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            java.nio.LongBuffer v = stack.mallocLong(1);
            ClErrors.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static int deviceInt(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer v = stack.mallocInt(1);
            ClErrors.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static long devicePointer(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer v = stack.mallocPointer(1);
            ClErrors.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }
}
