package dev.kiln.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles kernel programs with NVRTC for one device and keeps the binaries on disk, keyed by a hash of
 * the source, headers, options and NVRTC version, so later runs skip compilation. The cache lives in
 * {@code kiln.cuda.kernelCache} or {@code ~/.cache/kiln/cuda}; a cache that cannot be written is skipped.
 */
public final class KernelCompiler {
    public static final String CACHE_PROPERTY = "kiln.cuda.kernelCache";

    /** What NVRTC is asked to produce for a device of compute capability {@code sm}. */
    public record Target(String archOption, boolean cubin, String tag) {}

    private final Nvrtc nvrtc;
    private final Path cacheDir;

    public KernelCompiler(Nvrtc nvrtc, Path cacheDir) {
        this.nvrtc = nvrtc;
        this.cacheDir = cacheDir;
    }

    public static Path defaultCacheDir() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) return Path.of(p);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home", "/tmp"), ".cache");
        return base.resolve("kiln").resolve("cuda");
    }

    /**
     * CUBIN for the device's own architecture when NVRTC knows it; otherwise PTX for the newest
     * architecture NVRTC supports below the device's, which the driver compiles on load.
     */
    public static Target target(int deviceSm, int[] supported) {
        int best = -1;
        for (int a : supported) {
            if (a == deviceSm) return new Target("--gpu-architecture=sm_" + deviceSm, true, "sm_" + deviceSm);
            if (a < deviceSm && a > best) best = a;
        }
        if (best < 0) {
            throw new dev.kiln.BackendException("NVRTC supports no architecture at or below sm_" + deviceSm
                    + " (it supports " + java.util.Arrays.toString(supported) + ")", "NVRTC_ERROR_INVALID_OPTION");
        }
        return new Target("--gpu-architecture=compute_" + best, false, "compute_" + best);
    }

    public static List<String> options(Target t) {
        List<String> o = new ArrayList<>();
        o.add(t.archOption());
        o.add("--std=c++17");
        o.add("--device-as-default-execution-space");
        return o;
    }

    /** The cache key: SHA-256 over program name, source, headers (sorted), options and NVRTC version. */
    public static String cacheKey(String name, String source, Map<String, String> headers, List<String> options, int nvrtcVersion) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            update(md, name);
            update(md, source);
            for (var e : new TreeMap<>(headers).entrySet()) {
                update(md, e.getKey());
                update(md, e.getValue());
            }
            for (String o : options) update(md, o);
            update(md, Integer.toString(nvrtcVersion));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(Integer.toString(b.length).getBytes(StandardCharsets.UTF_8));
        md.update((byte) ':');
        md.update(b);
    }

    /** The binary of {@code program} for {@code target}, from the disk cache or freshly compiled. */
    public byte[] binary(String program, Target target) {
        String source = KernelSources.read(program);
        Map<String, String> headers = KernelSources.headers();
        List<String> options = options(target);
        String key = cacheKey(program, source, headers, options, nvrtc.version());
        Path file = cacheDir.resolve(program.replace(".cu", "") + "-" + target.tag() + "-" + key + (target.cubin() ? ".cubin" : ".ptx"));
        try {
            if (Files.isRegularFile(file)) return Files.readAllBytes(file);
        } catch (IOException e) {
            // unreadable cache entry: compile again
        }
        byte[] bin = nvrtc.compile(program, source, headers, options, target.cubin());
        if (!target.cubin() && (bin.length == 0 || bin[bin.length - 1] != 0)) {
            bin = java.util.Arrays.copyOf(bin, bin.length + 1);   // cuModuleLoadData wants NUL-terminated PTX
        }
        try {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, "kernel", ".tmp");
            Files.write(tmp, bin);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            // read-only home or similar: run without the disk cache
        }
        return bin;
    }
}
