package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
    @TempDir
    Path dir;

    private static Row row(String backend, String kernel, String name, int batch, double flops, double seconds) {
        return row(backend, Row.FP32, kernel, name, batch, flops, seconds);
    }

    private static Row row(String backend, String precision, String kernel, String name, int batch, double flops, double seconds) {
        Stats s = Stats.of(new double[] {seconds, seconds * 1.01, seconds * 0.99});
        return new Row(backend, precision, kernel, name, "", batch, flops, new Sampler.Result(seconds * 3, s, true), null);
    }

    @Test
    void writesAGemmAndAModelChartAsPng() throws Exception {
        List<Row> rows = List.of(
                row("openblas", "gemm", "gemm 256", 1, 2.0 * 256 * 256 * 256, 0.0003),
                row("openblas", "gemm", "gemm 512", 1, 2.0 * 512 * 512 * 512, 0.002),
                row("cpu", "gemm", "gemm 256", 1, 2.0 * 256 * 256 * 256, 0.0004),
                row("cpu", "gemm", "gemm 512", 1, 2.0 * 512 * 512 * 512, 0.003),
                row("cpu", "model", "alexnet", 1, Double.NaN, 0.05),
                row("cpu", "model", "alexnet", 32, Double.NaN, 0.9),
                row("cuda:0", "gemm", "gemm 256", 1, 2.0 * 256 * 256 * 256, 0.00002),
                row("cuda:0", "tf32", "gemm", "gemm 256", 1, 2.0 * 256 * 256 * 256, 0.00001),
                row("cuda:0", "tf32", "model", "alexnet", 1, Double.NaN, 0.001),
                Row.failed("cpu", Row.FP32, "model", "googlenet", "", 1, Double.NaN, "out of memory"));
        List<Path> files = Charts.write(rows, dir.resolve("bench-x"));
        assertEquals(List.of(dir.resolve("bench-x-gemm.png"), dir.resolve("bench-x-models.png")), files);
        byte[] magic = {(byte) 0x89, 'P', 'N', 'G'};
        for (Path f : files) assertArrayEquals(magic, Arrays.copyOf(Files.readAllBytes(f), 4), f.toString());
    }

    @Test
    void eachPrecisionIsItsOwnSeries() {
        assertEquals("cuda:0", row("cuda:0", "gemm", "gemm 256", 1, 1, 1).series());
        assertEquals("cuda:0@tf32", row("cuda:0", "tf32", "gemm", "gemm 256", 1, 1, 1).series());
    }

    @Test
    void noDataNoChart() throws Exception {
        assertEquals(List.of(), Charts.write(List.of(Row.failed("cpu", Row.FP32, "gemm", "gemm 256", "", 1, 1, "boom")), dir.resolve("b")));
    }
}
