package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareTest {
    @TempDir
    Path dir;

    @Test
    void readsTheMediansOfAnEarlierReportAsFp32() throws Exception {
        Path old = dir.resolve("old.json");
        Files.writeString(old, """
                {"format": "kiln-bench/1", "rows": [
                  {"backend": "cpu", "kernel": "gemm", "name": "gemm 512", "batch": 1, "median_ms": 2.5},
                  {"backend": "cpu", "kernel": "conv", "name": "alexnet.conv1", "batch": 32, "median_ms": 40},
                  {"backend": "cuda:0", "kernel": "conv", "name": "alexnet.conv1", "batch": 32, "error": "out of memory"}
                ]}
                """);
        Map<String, Double> m = Main.loadPrevious(old);
        // kiln-bench/1 rows carry no precision: they ran in fp32
        assertEquals(Map.of("cpu|fp32|gemm|gemm 512|1", 2.5, "cpu|fp32|conv|alexnet.conv1|32", 40.0), m);
    }

    @Test
    void keysRowsByPrecision() throws Exception {
        Path old = dir.resolve("old2.json");
        Files.writeString(old, """
                {"format": "kiln-bench/2", "rows": [
                  {"backend": "cuda:0", "precision": "fp32", "kernel": "gemm", "name": "gemm 512", "batch": 1, "median_ms": 0.2},
                  {"backend": "cuda:0", "precision": "tf32", "kernel": "gemm", "name": "gemm 512", "batch": 1, "median_ms": 0.05}
                ]}
                """);
        assertEquals(Map.of("cuda:0|fp32|gemm|gemm 512|1", 0.2, "cuda:0|tf32|gemm|gemm 512|1", 0.05), Main.loadPrevious(old));
    }

    @Test
    void rejectsAFileThatIsNoReport() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"rows\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Main.loadPrevious(bad));
        assertTrue(e.getMessage().contains("rows"), e.getMessage());
    }
}
