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
    void readsTheMediansOfAnEarlierReport() throws Exception {
        Path old = dir.resolve("old.json");
        Files.writeString(old, """
                {"format": "kiln-bench/1", "rows": [
                  {"backend": "cpu", "kernel": "gemm", "name": "gemm 512", "batch": 1, "median_ms": 2.5},
                  {"backend": "cpu", "kernel": "conv", "name": "alexnet.conv1", "batch": 32, "median_ms": 40},
                  {"backend": "cuda:0", "kernel": "conv", "name": "alexnet.conv1", "batch": 32, "error": "out of memory"}
                ]}
                """);
        Map<String, Double> m = Main.loadPrevious(old);
        assertEquals(Map.of("cpu|gemm|gemm 512|1", 2.5, "cpu|conv|alexnet.conv1|32", 40.0), m);
    }

    @Test
    void rejectsAFileThatIsNoReport() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"rows\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Main.loadPrevious(bad));
        assertTrue(e.getMessage().contains("rows"), e.getMessage());
    }
}
