package dev.kiln.bench.jmh;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.bench.ConvLayer;
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

/** The forward convolutions of AlexNet and GoogLeNet ({@link ConvLayer}) at batch 1 and 32. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ConvBenchmark {
    @Param({"cpu"})
    public String backend;

    @Param({"alexnet.conv1", "alexnet.conv2", "alexnet.conv3", "alexnet.conv4", "alexnet.conv5",
            "googlenet.conv1", "googlenet.conv2", "googlenet.conv3", "googlenet.3a.1x1", "googlenet.3a.3x3reduce",
            "googlenet.3a.3x3", "googlenet.3a.5x5reduce", "googlenet.3a.5x5", "googlenet.4e.3x3", "googlenet.5b.1x1"})
    public String layer;

    @Param({"1", "32"})
    public int batch;

    private Workloads.Workload conv;

    @Setup
    public void setup() {
        ConvLayer l = ConvLayer.byName(layer).orElseThrow(() -> new IllegalArgumentException("unknown layer " + layer
                + "; known: " + ConvLayer.ALL.stream().map(ConvLayer::name).toList()));
        Device device = Kiln.device(backend);
        conv = Workloads.conv(device, l, batch);
    }

    @Benchmark
    public void conv2d() {
        conv.run();
    }

    @TearDown
    public void tearDown() { conv.close(); }
}
