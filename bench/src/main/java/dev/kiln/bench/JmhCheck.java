package dev.kiln.bench;

import dev.kiln.bench.jmh.GemmBenchmark;
import dev.kiln.bench.jmh.OpenBlasGemmBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code ./kiln bench --check-jmh [REPORT] [--jmh-result FILE]}: does the report agree with JMH? Runs
 * JMH's GemmBenchmark (and OpenBlasGemmBenchmark) for the backends, precisions and sizes of the
 * report's GEMM rows, reads JMH's JSON result, and prints each row beside its JMH score.
 */
final class JmhCheck {
    private JmhCheck() {}

    /** 0 when every GEMM row agrees, 1 when one does not or has no JMH score, 2 when there is nothing to compare. */
    static int run(Path report, Path jmhResult) throws Exception {
        List<JmhAgreement.ReportGemm> gemms;
        try {
            gemms = JmhAgreement.reportRows(Json.parse(Files.readString(report)));
        } catch (java.io.IOException | IllegalArgumentException e) {
            System.err.println("kiln bench --check-jmh: " + report + ": " + e.getMessage());
            return 2;
        }
        if (gemms.isEmpty()) {
            System.err.println("kiln bench --check-jmh: " + report + " has no GEMM row that ran (run ./kiln bench --only gemm first)");
            return 2;
        }
        List<JmhAgreement.JmhScore> scores;
        try {
            scores = jmhResult != null ? JmhAgreement.jmhScores(Json.parse(Files.readString(jmhResult))) : runJmh(gemms);
        } catch (java.io.IOException | IllegalArgumentException e) {
            System.err.println("kiln bench --check-jmh: " + (jmhResult != null ? jmhResult : "the JMH result") + ": " + e.getMessage());
            return 2;
        }
        System.out.println();
        System.out.println("Report " + report + " against JMH" + (jmhResult != null ? " result " + jmhResult : "")
                + " (report: per-call times of the row; JMH: mean time per call over its iterations)");
        List<JmhAgreement.Line> lines = JmhAgreement.compare(gemms, scores);
        System.out.print(JmhAgreement.table(lines));
        return lines.stream().allMatch(JmhAgreement.Line::agree) ? 0 : 1;
    }

    /** GemmBenchmark with backend = each device@precision of the report, OpenBlasGemmBenchmark where it has OpenBLAS rows. */
    private static List<JmhAgreement.JmhScore> runJmh(List<JmhAgreement.ReportGemm> gemms) throws Exception {
        List<JmhAgreement.JmhScore> out = new ArrayList<>();
        List<JmhAgreement.ReportGemm> kiln = gemms.stream().filter(g -> !g.backend().equals("openblas")).toList();
        List<JmhAgreement.ReportGemm> blas = gemms.stream().filter(g -> g.backend().equals("openblas")).toList();
        if (!kiln.isEmpty()) {
            // cpu@fp32 is the cpu device itself: the name always carries the row's precision
            String[] devices = kiln.stream().map(g -> g.backend() + "@" + g.precision()).distinct().toArray(String[]::new);
            out.addAll(runJmh(GemmBenchmark.class, sizes(kiln), devices));
        }
        if (!blas.isEmpty()) out.addAll(runJmh(OpenBlasGemmBenchmark.class, sizes(blas), null));
        return out;
    }

    private static String[] sizes(List<JmhAgreement.ReportGemm> gemms) {
        return gemms.stream().map(g -> String.valueOf(g.size())).distinct().toArray(String[]::new);
    }

    private static List<JmhAgreement.JmhScore> runJmh(Class<?> benchmark, String[] sizes, String[] backends) throws Exception {
        Path result = Files.createTempFile("kiln-jmh-" + benchmark.getSimpleName(), ".json");
        try {
            OptionsBuilder options = new OptionsBuilder();
            options.include("\\." + benchmark.getSimpleName() + "\\.").param("size", sizes)
                    .resultFormat(ResultFormatType.JSON).result(result.toString());
            if (backends != null) options.param("backend", backends);
            new Runner(options.build()).run();
            return JmhAgreement.jmhScores(Json.parse(Files.readString(result)));
        } finally {
            Files.deleteIfExists(result);
        }
    }
}
