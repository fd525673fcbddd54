package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.Kiln;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The machine section's GPU part, on facts as engine-cuda's Backend.properties() reports them. */
class DeviceFactsTest {
    private static Map<String, String> h100() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("gpu", "NVIDIA H100 80GB HBM3");
        m.put("compute_capability", "9.0");
        m.put("memory", "79.1 GiB");
        m.put("driver", "575.57.08");
        m.put("cuda", "13.0");
        m.put("cublas", "13.1.0");
        m.put("cudnn", "9.19.0");
        m.put("nvrtc", "13.1");
        return m;
    }

    @Test
    void describesTheGpuAndItsLibraries() {
        assertEquals("GPU `cuda:0`: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB, driver 575.57.08, CUDA 13.0,"
                + " cuBLAS 13.1.0, cuDNN 9.19.0, NVRTC 13.1", DeviceFacts.describe("cuda:0", h100()));
    }

    @Test
    void addsThePeaksMeasuredInEachPrecision() {
        Map<String, Map<String, Object>> peaks = new LinkedHashMap<>();
        peaks.put("cpu", new LinkedHashMap<>(Map.of("gflops", 900.0, "source", "fma-loop")));
        peaks.put("cuda:0", new LinkedHashMap<>(Map.of("gflops", 51234.56, "source", "gemm-8192", "precision", "fp32")));
        peaks.put("cuda:0@tf32", new LinkedHashMap<>(Map.of("gflops", 350000.0, "source", "gemm-8192", "precision", "tf32")));
        peaks.put("cuda:1", new LinkedHashMap<>(Map.of("gflops", 1.0, "source", "gemm-8192", "precision", "fp32")));
        String line = DeviceFacts.describe("cuda:0", h100(), peaks);
        assertEquals(DeviceFacts.describe("cuda:0", h100()) + "; peak fp32 51234.6, tf32 350000.0 GFLOP/s (best call of a 8192^3 GEMM)", line);
    }

    @Test
    void jsonListsDevicesThatToldSomethingNameFirst() {
        Map<String, Map<String, String>> facts = new LinkedHashMap<>();
        facts.put("cpu", Map.of());
        facts.put("cuda:0", h100());
        List<Map<String, Object>> json = DeviceFacts.json(facts);
        assertEquals(1, json.size());
        assertEquals(List.of("device", "gpu", "compute_capability", "memory", "driver", "cuda", "cublas", "cudnn", "nvrtc"),
                List.copyOf(json.getFirst().keySet()));
        assertEquals("cuda:0", json.getFirst().get("device"));
        String written = Json.write(Map.of("devices", json));
        assertEquals("13.1.0", ((Map<?, ?>) ((List<?>) ((Map<?, ?>) Json.parse(written)).get("devices")).getFirst()).get("cublas"));
    }

    @Test
    void theCpuBackendTellsNoDeviceFacts() {
        assertEquals(Map.of(), DeviceFacts.of(Kiln.device("cpu")));
    }

    @Test
    void thePeakIsTheBestCallOfTheLargeGemm() {
        double flops = Workloads.gemmFlops(8192);
        Stats s = Stats.of(new double[] {0.030, 0.025, 0.026, 0.040});
        Row r = new Row("cuda:0", "tf32", "gemm", "gemm 8192", "8192x8192x8192", 1, flops, new Sampler.Result(0.5, s, true), null);
        Map<String, Object> peak = DeviceFacts.gemmPeak(r);
        assertEquals(flops / 0.025 * 1e-9, (Double) peak.get("gflops"), 1e-9);
        assertEquals("gemm-8192", peak.get("source"));
        assertEquals("tf32", peak.get("precision"));
        assertEquals(r.gflops(), (Double) peak.get("median_gflops"), 1e-9);
        assertEquals(4, peak.get("samples"));
    }
}
