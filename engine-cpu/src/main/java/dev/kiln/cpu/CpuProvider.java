package dev.kiln.cpu;

import dev.kiln.spi.Backend;
import dev.kiln.spi.BackendProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The pure-Java CPU backend plugin: name {@code cpu}, rank 0 (every GPU backend outranks it), always
 * available, one device: the whole machine.
 */
public final class CpuProvider implements BackendProvider {
    private volatile CpuBackend backend;

    @Override
    public String name() { return "cpu"; }

    @Override
    public int rank() { return 0; }

    @Override
    public Optional<String> unavailableReason() { return Optional.empty(); }

    @Override
    public List<String> devices() { return List.of(describe()); }

    @Override
    public synchronized Backend open(int index) {
        if (index != 0) throw new IllegalArgumentException("cpu has one device (0), got " + index);
        if (backend == null) backend = new CpuBackend(true);
        return backend;
    }

    /** CPU model from /proc/cpuinfo (or os.arch elsewhere), core count, worker threads, vector width. */
    static String describe() {
        String model = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: keep os.arch.
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return model + ", " + cores + (cores == 1 ? " core" : " cores") + ", " + Parallel.THREADS + " worker threads, "
                + (VectorSupport.AVAILABLE ? "Vector API" : "scalar (no jdk.incubator.vector)");
    }
}
