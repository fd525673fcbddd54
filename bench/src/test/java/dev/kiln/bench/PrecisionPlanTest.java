package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrecisionPlanTest {
    private static final List<String> CUDA = List.of("fp32", "tf32", "bf16");

    @Test
    void anFp32OnlyBackendRunsFp32AndListsTheRestOnceAsNotRun() {
        PrecisionPlan p = PrecisionPlan.of("cpu", "cpu", List.of("fp32"), List.of("fp32", "tf32", "bf16"), 41);
        assertEquals(List.of(new PrecisionPlan.Run("fp32", "cpu")), p.runs());
        assertEquals(new Main.NotRun("cpu", List.of("tf32", "bf16"), "cpu computes in fp32 only", 41), p.notRun());
        assertEquals("Not run: `cpu` in tf32, bf16 (41 rows each): cpu computes in fp32 only", ReportTable.notRunLine(p.notRun()));
    }

    @Test
    void aBackendWithModesOpensEachByName() {
        PrecisionPlan p = PrecisionPlan.of("cuda:0", "cuda", CUDA, List.of("fp32", "tf32"), 12);
        assertEquals(List.of(new PrecisionPlan.Run("fp32", "cuda:0@fp32"), new PrecisionPlan.Run("tf32", "cuda:0@tf32")), p.runs());
        assertNull(p.notRun());
    }

    @Test
    void onlyFp32AsksNothingOfAnyBackend() {
        assertEquals(List.of(new PrecisionPlan.Run("fp32", "opencl:0")),
                PrecisionPlan.of("opencl:0", "opencl", List.of("fp32"), List.of("fp32"), 5).runs());
        assertNull(PrecisionPlan.of("opencl:0", "opencl", List.of("fp32"), List.of("fp32"), 5).notRun());
    }

    @Test
    void noRowsNothingToListAsNotRun() {
        assertNull(PrecisionPlan.of("cpu", "cpu", List.of("fp32"), List.of("fp32", "bf16"), 0).notRun());
    }
}
