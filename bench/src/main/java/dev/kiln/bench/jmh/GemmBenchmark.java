package dev.kiln.bench.jmh;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Square SGEMM {@code [n, n] @ [n, n]} through {@link Tensor#matmul}; 2n^3 flops per call. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {
    /** A device name as {@link Kiln#device} takes it: {@code -p backend=opencl:0}. */
    @Param({"cpu"})
    public String backend;

    @Param({"256", "512", "1024", "2048"})
    public int size;

    private Device device;
    private Tensor a;
    private Tensor b;

    @Setup
    public void setup() {
        device = Kiln.device(backend);
        Generator g = new Generator(1234 + size);
        a = device.randn(g, size, size);
        b = device.randn(g, size, size);
        device.synchronize();
    }

    @Benchmark
    public void sgemm() {
        try (Tensor c = a.matmul(b)) {
            device.synchronize();
        }
    }

    @TearDown
    public void tearDown() {
        a.close();
        b.close();
    }

    static double flops(int size) { return 2.0 * size * size * size; }
}
