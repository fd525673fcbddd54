package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.bench.JmhAgreement.JmhScore;
import dev.kiln.bench.JmhAgreement.Line;
import dev.kiln.bench.JmhAgreement.ReportGemm;
import java.util.List;
import org.junit.jupiter.api.Test;

class JmhAgreementTest {
    private static final String REPORT = """
            {"format": "kiln-bench/2", "rows": [
              {"backend": "openblas", "precision": "fp32", "kernel": "gemm", "name": "gemm 256", "batch": 1,
               "median_ms": 0.5, "p90_ms": 0.55, "min_ms": 0.48, "max_ms": 0.9},
              {"backend": "cpu", "precision": "fp32", "kernel": "gemm", "name": "gemm 256", "batch": 1,
               "median_ms": 1.0, "p90_ms": 1.1, "min_ms": 0.95, "max_ms": 2.0},
              {"backend": "cuda:0", "precision": "tf32", "kernel": "gemm", "name": "gemm 1024", "batch": 1,
               "median_ms": 0.1, "p90_ms": 0.101, "min_ms": 0.099, "max_ms": 0.2},
              {"backend": "cpu", "precision": "fp32", "kernel": "gemm", "name": "gemm 512", "batch": 1, "error": "boom"},
              {"backend": "torch", "precision": "fp32", "kernel": "gemm", "name": "gemm 256", "batch": 1,
               "median_ms": 0.6, "p90_ms": 0.7, "min_ms": 0.5, "max_ms": 0.8},
              {"backend": "cpu", "precision": "fp32", "kernel": "conv", "name": "alexnet.conv1", "batch": 1,
               "median_ms": 9, "p90_ms": 9, "min_ms": 9, "max_ms": 9}
            ]}
            """;

    /** As JMH 1.37 writes it (trimmed): NaN as a string, the interval as [low, high]. */
    private static final String JMH = """
            [
              {"benchmark": "dev.kiln.bench.jmh.OpenBlasGemmBenchmark.sgemm", "mode": "avgt",
               "params": {"size": "256"},
               "primaryMetric": {"score": 0.52, "scoreError": 0.01, "scoreConfidence": [0.51, 0.53], "scoreUnit": "ms/op",
                                 "rawData": [[0.51, 0.52, 0.53]]}},
              {"benchmark": "dev.kiln.bench.jmh.GemmBenchmark.sgemm", "mode": "avgt",
               "params": {"backend": "cpu@fp32", "size": "256"},
               "primaryMetric": {"score": 1.5, "scoreError": 0.1, "scoreConfidence": [1.4, 1.6], "scoreUnit": "ms/op",
                                 "rawData": [[1.4, 1.5, 1.6]]}},
              {"benchmark": "dev.kiln.bench.jmh.GemmBenchmark.sgemm", "mode": "avgt",
               "params": {"backend": "cuda:0@tf32", "size": "1024"},
               "primaryMetric": {"score": 101.0, "scoreError": "NaN", "scoreConfidence": ["NaN", "NaN"], "scoreUnit": "us/op",
                                 "rawData": [[100.5, 101.5]]}}
            ]
            """;

    @Test
    void readsTheGemmRowsThatRanAndNothingElse() {
        List<ReportGemm> rows = JmhAgreement.reportRows(Json.parse(REPORT));
        assertEquals(List.of(new ReportGemm("openblas", "fp32", 256, 0.5, 0.48, 0.55, 0.9),
                new ReportGemm("cpu", "fp32", 256, 1.0, 0.95, 1.1, 2.0),
                new ReportGemm("cuda:0", "tf32", 1024, 0.1, 0.099, 0.101, 0.2)), rows);
    }

    @Test
    void aReportWithoutPrecisionsIsFp32() {
        List<ReportGemm> rows = JmhAgreement.reportRows(Json.parse("""
                {"format": "kiln-bench/1", "rows": [{"backend": "cpu", "kernel": "gemm", "name": "gemm 64", "batch": 1,
                  "median_ms": 1, "p90_ms": 1, "min_ms": 1, "max_ms": 1}]}
                """));
        assertEquals("fp32", rows.getFirst().precision());
        assertThrows(IllegalArgumentException.class, () -> JmhAgreement.reportRows(Json.parse("[]")));
    }

    @Test
    void readsJmhScoresInMillisecondsWithTheirInterval() {
        List<JmhScore> scores = JmhAgreement.jmhScores(Json.parse(JMH));
        assertEquals(new JmhScore("openblas", "fp32", 256, 0.52, 0.51, 0.53), scores.get(0));
        assertEquals(new JmhScore("cpu", "fp32", 256, 1.5, 1.4, 1.6), scores.get(1));
        // no confidence interval: the range of the iterations, converted from microseconds
        JmhScore cuda = scores.get(2);
        assertEquals("cuda:0|tf32|1024", cuda.key());
        assertEquals(0.101, cuda.scoreMs(), 1e-12);
        assertEquals(0.1005, cuda.lowMs(), 1e-12);
        assertEquals(0.1015, cuda.highMs(), 1e-12);
    }

    @Test
    void throughputScoresInvertAndTheirIntervalSwaps() {
        List<JmhScore> scores = JmhAgreement.jmhScores(Json.parse("""
                [{"benchmark": "x.GemmBenchmark.sgemm", "params": {"backend": "cpu", "size": "64"},
                  "primaryMetric": {"score": 1000, "scoreConfidence": [800, 1250], "scoreUnit": "ops/s"}}]
                """));
        assertEquals(new JmhScore("cpu", "fp32", 64, 1.0, 0.8, 1.25), scores.getFirst());
    }

    @Test
    void agreementIsOverlapOfTheSpreadsOrTwoPercent() {
        List<Line> lines = JmhAgreement.compare(JmhAgreement.reportRows(Json.parse(REPORT)), JmhAgreement.jmhScores(Json.parse(JMH)));
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).agree(), "openblas: 0.51..0.53 overlaps 0.48..0.55");
        assertFalse(lines.get(1).agree(), "cpu: JMH 1.4..1.6 lies above the report's 0.95..1.1");
        assertEquals(1.5, lines.get(1).ratio(), 1e-12);
        assertTrue(lines.get(2).agree(), "cuda tf32: 0.1005..0.1015 overlaps 0.099..0.101");

        ReportGemm tight = new ReportGemm("cuda:0", "fp32", 2048, 10.0, 9.99, 10.01, 10.2);
        assertTrue(JmhAgreement.agree(tight, new JmhScore("cuda:0", "fp32", 2048, 10.15, 10.14, 10.16)), "1.5%: within the floor");
        assertFalse(JmhAgreement.agree(tight, new JmhScore("cuda:0", "fp32", 2048, 10.3, 10.29, 10.31)), "3% and no overlap");
        assertFalse(JmhAgreement.agree(tight, new JmhScore("cuda:0", "fp32", 2048, Double.NaN, 9, 11)), "NaN never agrees");
    }

    @Test
    void aRowWithoutAJmhScoreDisagreesAndTheTableSaysSo() {
        List<Line> lines = JmhAgreement.compare(JmhAgreement.reportRows(Json.parse(REPORT)), List.of());
        assertNull(lines.getFirst().jmh());
        assertFalse(lines.getFirst().agree());
        String table = JmhAgreement.table(lines);
        assertTrue(table.contains("no JMH result"), table);
        assertTrue(table.contains("0 of 3 GEMM rows agree"), table);
    }

    @Test
    void theTableShowsBothSidesAndTheVerdict() {
        String table = JmhAgreement.table(JmhAgreement.compare(JmhAgreement.reportRows(Json.parse(REPORT)),
                JmhAgreement.jmhScores(Json.parse(JMH))));
        String cpu = table.lines().filter(l -> l.startsWith("cpu ")).findFirst().orElseThrow();
        assertTrue(cpu.contains("0.9500..1.100 (2.000)") && cpu.contains("1.400..1.600") && cpu.contains("1.500")
                && cpu.endsWith("DISAGREE"), cpu);
        assertTrue(table.contains("2 of 3 GEMM rows agree"), table);
    }
}
