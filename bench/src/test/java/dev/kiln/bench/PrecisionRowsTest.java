package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rows in several precisions: what each records, and which ratios they get. */
class PrecisionRowsTest {
    private static Row row(String backend, String precision, double seconds) {
        Stats s = Stats.of(new double[] {seconds, seconds * 1.02, seconds * 0.99});
        return new Row(backend, precision, "gemm", "gemm 512", "512x512x512", 1, Workloads.gemmFlops(512),
                new Sampler.Result(seconds * 2, s, true), null);
    }

    private static Main report(Row... rows) {
        Main m = new Main(Options.parse("--precision", "tf32", "--compare-torch"), null, List.of());
        m.rows.addAll(List.of(rows));
        return m;
    }

    @Test
    void torchRatiosOnlyOnFp32Rows() {
        Row torch = row(TorchPeer.BACKEND, "fp32", 0.004);
        Row fp32 = row("cuda:0", "fp32", 0.001);
        Row tf32 = row("cuda:0", "tf32", 0.0005);
        Main m = report(row("cpu", "fp32", 0.008), torch, fp32, tf32);
        assertEquals(4.0, m.versusTorch(fp32), 1e-12);
        assertTrue(Double.isNaN(m.versusTorch(tf32)), "PyTorch ran in fp32: no ratio for a tf32 row");
    }

    @Test
    void theCpuIsTheReferenceOfEveryPrecision() {
        Row tf32 = row("cuda:0", "tf32", 0.0005);
        Main m = report(row("cpu", "fp32", 0.008), tf32);
        assertEquals(16.0, m.versusCpu(tf32), 1e-12);
    }

    @Test
    void eachRowRecordsItsPrecisionInTheJson() {
        Row tf32 = row("cuda:0", "tf32", 0.0005);
        Main m = report(tf32);
        Map<String, Object> json = m.rowJson(tf32);
        assertEquals(List.of("backend", "precision", "kernel", "name"), List.copyOf(json.keySet()).subList(0, 4));
        assertEquals("tf32", json.get("precision"));
        assertTrue(json.containsKey("vs_torch"));
        Map<String, Object> failed = m.rowJson(Row.failed("cuda:0", "bf16", "conv", "alexnet.conv1", "", 1, 1, "CUBLAS_STATUS_NOT_SUPPORTED"));
        assertEquals("bf16", failed.get("precision"));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", failed.get("error"));
        assertFalse(failed.containsKey("median_ms"));
    }

    @Test
    void notRunEntriesInTheJson() {
        Map<String, Object> json = Main.notRunJson(new Main.NotRun("opencl:0", List.of("tf32", "bf16"), "opencl computes in fp32 only", 7));
        assertEquals(Map.of("backend", "opencl:0", "precisions", List.of("tf32", "bf16"), "rows", 7, "reason", "opencl computes in fp32 only"),
                json);
        assertEquals("kiln-bench/2", Main.FORMAT);
    }

    @Test
    void theTableHasAPrecisionColumn() {
        Row tf32 = row("cuda:0", "tf32", 0.0005);
        String md = new ReportTable(report(tf32), false, false).markdown(List.of(tf32,
                Row.failed("cpu", "fp32", "gemm", "gemm 512", "", 1, 1, "boom")));
        List<String> lines = md.lines().toList();
        assertTrue(lines.get(0).startsWith("| backend | prec | op |"), lines.get(0));
        assertTrue(lines.get(2).startsWith("| cuda:0 | tf32 | gemm | gemm 512 |"), lines.get(2));
        assertTrue(lines.get(3).startsWith("| cpu | fp32 | gemm | gemm 512 | 1 | failed: boom |"), lines.get(3));
    }
}
