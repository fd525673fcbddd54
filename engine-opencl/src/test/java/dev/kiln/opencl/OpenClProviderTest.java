package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.DType;
import dev.kiln.spi.BackendProvider;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OpenClProviderTest {

    private static DeviceInfo fake(String name, boolean gpu) {
        return new DeviceInfo(1, name.hashCode(), "Test Platform", name, "vendor", "OpenCL 3.0", "1", gpu,
                1 << 30, 1 << 28, 256, 65536, 4, 4, Set.of());
    }

    @Test
    void gpusComeBeforeCpusAndAPropertyChooses() {
        List<DeviceInfo> devices = List.of(fake("cpu-a", false), fake("gpu-b", true), fake("cpu-c", false), fake("gpu-d", true));
        assertEquals(List.of("gpu-b", "gpu-d", "cpu-a", "cpu-c"), ClDiscovery.order(devices, null).stream().map(DeviceInfo::name).toList());
        assertEquals("cpu-c", ClDiscovery.order(devices, "3").getFirst().name());
        assertEquals("gpu-d", ClDiscovery.order(devices, "GPU-D").getFirst().name());
        assertEquals(4, ClDiscovery.order(devices, "cpu-a").size());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> ClDiscovery.order(devices, "tpu"));
        assertTrue(e.getMessage().contains("kiln.opencl.device=tpu"), e.getMessage());
    }

    @Test
    void foundByServiceLoader() {
        boolean found = ServiceLoader.load(BackendProvider.class).stream().anyMatch(p -> p.type() == OpenClProvider.class);
        assertTrue(found, "META-INF/services names dev.kiln.opencl.OpenClProvider");
    }

    @Test
    void ranksAboveTheCpuOnlyWithAGpu() {
        OpenClProvider p = new OpenClProvider();
        assertEquals("opencl", p.name());
        ClDiscovery.Result r = ClDiscovery.get();
        if (r.unavailableReason().isPresent()) {
            assertEquals(-1, p.rank());
            assertTrue(p.devices().isEmpty());
            assertFalse(r.unavailableReason().get().contains("\n"), "the reason is one line");
            return;
        }
        boolean gpu = r.devices().stream().anyMatch(DeviceInfo::gpu);
        assertEquals(gpu ? OpenClProvider.GPU_RANK : -1, p.rank());
        assertEquals(r.devices().size(), p.devices().size());
    }

    @Test
    void reportsDtypesAndNamesTheDevice() {
        OpenClProvider p = new OpenClProvider();
        org.junit.jupiter.api.Assumptions.assumeTrue(p.unavailableReason().isEmpty() || OpenClTestSupport.required(),
                () -> "opencl unavailable: " + p.unavailableReason().orElse(""));
        var b = p.open(0);
        try {
            assertEquals("opencl:0", b.name());
            assertTrue(b.dtypes().containsAll(Set.of(DType.F32, DType.I32, DType.I64, DType.F16, DType.BF16)));
            assertFalse(b.description().isBlank());
            assertThrows(BackendUnavailableException.class, () -> p.open(99));
        } finally {
            b.close();
        }
    }

    @Test
    void theVersionedIcdLoaderIsUsable() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ClDiscovery.get().unavailableReason().isEmpty() || OpenClTestSupport.required());
        String lib = org.lwjgl.system.Configuration.OPENCL_LIBRARY_NAME.get();
        assertTrue(lib.equals("libOpenCL.so.1") || lib.equals("OpenCL") || lib.equals(System.getProperty("kiln.opencl.library")), lib);
    }
}
