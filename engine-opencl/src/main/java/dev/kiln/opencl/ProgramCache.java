package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import dev.kiln.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * Built programs of one device, in memory and on disk. A program is the prelude, common.cl and one
 * kernel file of native-kernels; its binary is stored under
 * {@code ${kiln.opencl.cacheDir:-~/.cache/kiln/opencl}/<sha-256 of source, options and device>.bin}
 * and reused by later runs. A failed build throws with the compiler's log.
 */
final class ProgramCache {
    static final String RESOURCE_DIR = "kernels/opencl/";
    private static final String OPTIONS = "-cl-std=CL1.2";

    private final long context;
    private final DeviceInfo device;
    private final Path diskDir;
    private final Map<String, Long> programs = new ConcurrentHashMap<>();
    private final Map<String, String> sources = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger diskHits = new java.util.concurrent.atomic.AtomicInteger();

    ProgramCache(long context, DeviceInfo device) { this(context, device, defaultDir()); }

    ProgramCache(long context, DeviceInfo device, Path diskDir) {
        this.context = context;
        this.device = device;
        this.diskDir = diskDir;
    }

    private static Path defaultDir() {
        String dir = System.getProperty("kiln.opencl.cacheDir");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "kiln", "opencl");
    }

    /** The program made of {@code prelude}, common.cl and {@code file}, built once per device. */
    long get(String file, String prelude) {
        String source = prelude + resource("common.cl") + resource(file);
        return programs.computeIfAbsent(source, s -> build(file, s));
    }

    String resource(String file) {
        return sources.computeIfAbsent(file, f -> {
            try (InputStream in = ProgramCache.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + f)) {
                if (in == null) throw new IllegalStateException("kernel source " + RESOURCE_DIR + f + " missing from the class path");
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Builds {@code source} (from the disk cache when possible); {@code label} names it in errors. */
    long build(String label, String source) {
        Path cached = diskDir.resolve(key(source) + ".bin");
        Long fromDisk = loadBinary(cached);
        if (fromDisk != null) {
            diskHits.incrementAndGet();
            return fromDisk;
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var err = stack.mallocInt(1);
            long program = clCreateProgramWithSource(context, source, err);
            ClErrors.check(err.get(0), "clCreateProgramWithSource(" + label + ")");
            int status = clBuildProgram(program, device.device(), OPTIONS, null, 0);
            if (status != CL_SUCCESS) {
                String log = buildLog(program);
                clReleaseProgram(program);
                throw new BackendException("clBuildProgram of " + label + " failed on " + device.name()
                        + "; build log:\n" + log, ClErrors.name(status));
            }
            storeBinary(program, cached);
            return program;
        }
    }

    private String key(String source) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {device.platformName(), device.name(), device.version(),
                    device.driverVersion(), OPTIONS, source}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String buildLog(long program) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            if (clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size) != CL_SUCCESS) {
                return "(no build log)";
            }
            ByteBuffer buf = MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, buf, null);
                return ClDiscovery.cString(buf).strip();
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    /** A program from a cached binary, or null when there is none or the driver rejects it. */
    private Long loadBinary(Path file) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) return null;
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
        ByteBuffer bin = MemoryUtil.memAlloc(bytes.length);
        try (MemoryStack stack = MemoryStack.stackPush()) {
            bin.put(bytes).flip();
            var err = stack.mallocInt(1);
            var binStatus = stack.mallocInt(1);
            long program = clCreateProgramWithBinary(context, stack.pointers(device.device()), bin, binStatus, err);
            if (err.get(0) != CL_SUCCESS || binStatus.get(0) != CL_SUCCESS) {
                if (program != 0) clReleaseProgram(program);
                return null;
            }
            if (clBuildProgram(program, device.device(), OPTIONS, null, 0) != CL_SUCCESS) {
                clReleaseProgram(program);
                return null;
            }
            return program;
        } finally {
            MemoryUtil.memFree(bin);
        }
    }

    /** Writes the program's binary next to the others; a cache that cannot be written is skipped. */
    private void storeBinary(long program, Path file) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer sizes = stack.mallocPointer(1);
            if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizes, null) != CL_SUCCESS) return;
            long size = sizes.get(0);
            if (size <= 0 || size > Integer.MAX_VALUE) return;
            ByteBuffer bin = MemoryUtil.memAlloc((int) size);
            try {
                PointerBuffer ptrs = stack.pointers(MemoryUtil.memAddress(bin));
                if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, ptrs, null) != CL_SUCCESS) return;
                byte[] bytes = new byte[(int) size];
                bin.get(bytes);
                Files.createDirectories(file.getParent());
                Path tmp = Files.createTempFile(file.getParent(), "kiln", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | UnsupportedOperationException e) {
                // The disk cache only saves build time; running without it is correct.
            } finally {
                MemoryUtil.memFree(bin);
            }
        }
    }

    int size() { return programs.size(); }

    /** Programs loaded from the disk cache instead of compiled. */
    int diskHits() { return diskHits.get(); }

    Path diskDir() { return diskDir; }

    void releaseAll() {
        programs.values().forEach(p -> clReleaseProgram(p));
        programs.clear();
    }
}
