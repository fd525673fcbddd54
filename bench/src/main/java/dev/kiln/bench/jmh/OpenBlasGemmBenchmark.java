package dev.kiln.bench.jmh;

import dev.kiln.bench.OpenBlas;
import dev.kiln.bench.Workloads;
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

/** The reference for {@link GemmBenchmark}: the same square SGEMM through OpenBLAS's cblas_sgemm. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class OpenBlasGemmBenchmark {
    @Param({"256", "512", "1024", "2048"})
    public int size;

    private Workloads.Workload gemm;

    @Setup
    public void setup() {
        OpenBlas blas = OpenBlas.get().orElseThrow(() -> new IllegalStateException(OpenBlas.unavailableReason()));
        gemm = Workloads.openBlasGemm(blas, size);
    }

    @Benchmark
    public void sgemm() {
        gemm.run();
    }

    @TearDown
    public void tearDown() { gemm.close(); }
}
