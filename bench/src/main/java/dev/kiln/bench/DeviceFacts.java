package dev.kiln.bench;

import dev.kiln.Device;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The machine section's device part: what a backend says about its hardware and libraries
 * ({@code Backend.properties()}: GPU name, driver, CUDA, cuBLAS, cuDNN, NVRTC versions), and the
 * device peak measured as a large GEMM.
 */
final class DeviceFacts {
    /** n of the n x n x n GEMM whose best call is a GPU's peak: large enough to saturate any current GPU. */
    static final int PEAK_GEMM = 8192;

    /** How the Markdown names the known keys; others print as they are. */
    private static final Map<String, String> LABELS = Map.of("compute_capability", "compute capability ", "memory", "",
            "driver", "driver ", "cuda", "CUDA ", "cublas", "cuBLAS ", "cudnn", "cuDNN ", "nvrtc", "NVRTC ");

    private DeviceFacts() {}

    /** The device's properties; a backend that fails to tell is reported with the failure, not dropped. */
    static Map<String, String> of(Device device) {
        try {
            return new LinkedHashMap<>(device.backend().properties());
        } catch (RuntimeException | LinkageError e) {
            return new LinkedHashMap<>(Map.of("error", "properties failed: " + e));
        }
    }

    /** {@code GPU cuda:0: NVIDIA H100, compute capability 9.0, 79.1 GiB, driver 575.57.08, CUDA 13.0, ...}. */
    static String describe(String device, Map<String, String> facts) {
        List<String> parts = new ArrayList<>();
        facts.forEach((k, v) -> parts.add(k.equals("gpu") ? v : LABELS.getOrDefault(k, k + " ") + v));
        return (facts.containsKey("gpu") ? "GPU " : "Device ") + "`" + device + "`: " + String.join(", ", parts);
    }

    /** {@link #describe(String, Map)} and the device's measured peaks: {@code ...; peak fp32 51234.5, tf32 ... GFLOP/s (best call, 8192^3 GEMM)}. */
    static String describe(String device, Map<String, String> facts, Map<String, Map<String, Object>> peaks) {
        List<String> measured = new ArrayList<>();
        peaks.forEach((series, p) -> {
            boolean mine = series.equals(device) || series.startsWith(device + "@");
            if (mine && p.get("source") instanceof String s && s.startsWith("gemm-")) {
                measured.add(p.get("precision") + " " + String.format(Locale.ROOT, "%.1f", (Double) p.get("gflops")));
            }
        });
        String line = describe(device, facts);
        if (measured.isEmpty()) return line;
        return line + "; peak " + String.join(", ", measured) + " GFLOP/s (best call of a " + PEAK_GEMM + "^3 GEMM)";
    }

    /** The JSON {@code machine.devices}: one object per device that told something, its name first. */
    static List<Map<String, Object>> json(Map<String, Map<String, String>> facts) {
        List<Map<String, Object>> out = new ArrayList<>();
        facts.forEach((device, f) -> {
            if (f.isEmpty()) return;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("device", device);
            m.putAll(f);
            out.add(m);
        });
        return out;
    }

    /**
     * A peak entry from the large GEMM's row: the best (shortest) call, since a peak is what the device
     * can do, and the median beside it.
     */
    static Map<String, Object> gemmPeak(Row r) {
        Stats s = r.result().stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gflops", r.flops() / s.min() * 1e-9);
        m.put("source", "gemm-" + r.geometry().substring(0, r.geometry().indexOf('x')));
        m.put("precision", r.precision());
        m.put("median_gflops", r.gflops());
        m.put("samples", s.samples());
        return m;
    }
}
