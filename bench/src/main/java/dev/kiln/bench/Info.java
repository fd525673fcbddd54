package dev.kiln.bench;

import java.util.List;
import java.util.Map;

/** {@code ./kiln info}: every backend plugin found, whether it can run here (or why not), its devices. */
public final class Info {
    private Info() {}

    public static void main(String[] args) {
        System.out.printf("Kiln on %s, %d logical cores, %.1f GiB%n", MachineInfo.cpuModel(), MachineInfo.logicalCores(),
                MachineInfo.memoryBytes() / (double) (1L << 30));
        System.out.printf("JVM: %s, Vector API: %d-bit vectors%n", MachineInfo.jvm(), MachineInfo.vectorBits());
        System.out.println("OpenBLAS (bench reference): "
                + OpenBlas.get().map(b -> b.source() + " — " + b.config()).orElse(OpenBlas.unavailableReason()));
        System.out.println();
        List<Map<String, Object>> backends = MachineInfo.backends();
        String loadError = MachineInfo.providerError();
        if (loadError != null) {
            System.out.println(loadError);
            System.exit(1);
        }
        if (backends.isEmpty()) {
            System.out.println("No backend plugin on the class path (expected META-INF/services/dev.kiln.spi.BackendProvider"
                    + " in engine-cpu, engine-opencl, engine-cuda).");
            System.exit(1);
        }
        System.out.println("Backends (highest rank first; the first available one is the default device):");
        for (Map<String, Object> b : backends) {
            boolean available = (Boolean) b.get("available");
            System.out.printf("  %-8s rank %-4s %s%n", b.get("name"), b.get("rank"),
                    available ? "available" : "unavailable: " + b.get("reason"));
            if (available) {
                List<?> devices = (List<?>) b.get("devices");
                for (int i = 0; i < devices.size(); i++) {
                    String name = b.get("name").equals("cpu") ? "cpu" : b.get("name") + ":" + i;
                    System.out.printf("           %-10s %s%n", name, devices.get(i));
                }
                if (devices.isEmpty()) System.out.println("           (no devices)");
            }
        }
        String chosen = System.getProperty("kiln.device", System.getenv("KILN_DEVICE"));
        if (chosen != null && !chosen.isBlank()) System.out.println("\nKILN_DEVICE / -Dkiln.device selects: " + chosen);
    }
}
