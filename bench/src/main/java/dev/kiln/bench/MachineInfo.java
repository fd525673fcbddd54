package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.spi.BackendProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the numbers were measured on: CPU, memory, OS, JVM, backends, reference libraries. */
public final class MachineInfo {
    private MachineInfo() {}

    public static String cpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name")
                .orElseGet(() -> System.getProperty("os.arch") + " (model unknown)");
    }

    public static int logicalCores() { return Runtime.getRuntime().availableProcessors(); }

    public static long memoryBytes() {
        return firstValue(Path.of("/proc/meminfo"), "MemTotal")
                .map(v -> Long.parseLong(v.replaceAll("[^0-9]", "")) * 1024)
                .orElse(-1L);
    }

    /** The 1-minute load average, or NaN where the OS does not say. */
    public static double loadAverage() { return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(); }

    public static String jvm() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + ")";
    }

    public static int vectorBits() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /**
     * {@link Kiln#providers()}, or none when a plugin's provider class cannot even be loaded (a
     * missing dependency jar): {@link #providerError()} then says which.
     */
    public static List<BackendProvider> providers() {
        try {
            return Kiln.providers();
        } catch (java.util.ServiceConfigurationError e) {
            return List.of();
        }
    }

    /** Why {@link #providers()} came back empty, or null. */
    public static String providerError() {
        try {
            Kiln.providers();
            return null;
        } catch (java.util.ServiceConfigurationError e) {
            return "a backend plugin failed to load: " + e.getMessage() + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
        }
    }

    /** Every provider found, as {@code ./kiln info} shows it and the JSON report stores it. */
    public static List<Map<String, Object>> backends() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (BackendProvider p : providers()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", p.name());
            b.put("rank", p.rank());
            Optional<String> why = safeReason(p);
            b.put("available", why.isEmpty());
            b.put("reason", why.orElse(null));
            b.put("devices", why.isEmpty() ? safeDevices(p) : List.of());
            b.put("precisions", safePrecisions(p));
            b.put("provider", p.getClass().getName());
            out.add(b);
        }
        return out;
    }

    /** A provider that throws while probing is unavailable, with the exception as its reason. */
    static Optional<String> safeReason(BackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("probing failed: " + e);
        }
    }

    /** The math modes a provider offers; fp32 alone when it fails to say. */
    static List<String> safePrecisions(BackendProvider p) {
        try {
            List<String> offered = p.precisions();
            return offered.contains(BackendProvider.FP32) ? offered : List.of(BackendProvider.FP32);
        } catch (RuntimeException | LinkageError e) {
            return List.of(BackendProvider.FP32);
        }
    }

    static List<String> safeDevices(BackendProvider p) {
        try {
            return p.devices();
        } catch (RuntimeException | LinkageError e) {
            return List.of("listing devices failed: " + e);
        }
    }

    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("logical_cores", logicalCores());
        m.put("memory_bytes", memoryBytes());
        m.put("load_average", loadAverage());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("jvm", jvm());
        m.put("vector_bits", vectorBits());
        m.put("backends", backends());
        Map<String, Object> blas = new LinkedHashMap<>();
        OpenBlas.get().ifPresentOrElse(b -> {
            blas.put("library", b.source());
            blas.put("config", b.config());
            blas.put("threads", b.threads());
        }, () -> blas.put("unavailable", OpenBlas.unavailableReason()));
        m.put("openblas", blas);
        return m;
    }

    private static Optional<String> firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) return Optional.of(line.substring(colon + 1).trim());
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable: the caller has a fallback.
        }
        return Optional.empty();
    }
}
