package dev.kiln.bench;

/** The terminal table, printed one row at a time as results come in. */
final class ReportTable {
    private static final String FORMAT = "%-9s %-5s %-24s %5s %9s %9s %9s %9s %5s %9s %6s %8s %7s%n";
    private static final int WIDTH = 9 + 5 + 24 + 5 + 9 * 4 + 5 + 9 + 6 + 8 + 7 + 12;

    void printHeader() {
        System.out.printf(FORMAT, "backend", "op", "name", "batch", "median ms", "p90 ms", "min ms", "max ms", "n",
                "GFLOP/s", "%peak", "vs BLAS", "vs CPU");
        System.out.println("-".repeat(WIDTH));
    }

    void printRow(Row r, Main report) {
        if (!r.ok()) {
            System.out.printf("%-9s %-5s %-24s %5s  FAILED: %s%n", r.backend(), r.kernel(), r.name(), r.batch(), r.error());
            return;
        }
        Stats s = r.result().stats();
        System.out.printf(FORMAT, r.backend(), r.kernel(), r.name(), r.batch(), ms(s.median()), ms(s.p90()), ms(s.min()),
                ms(s.max()), s.samples(), fixed(r.gflops(), 1), percent(report.fractionOfPeak(r)),
                times(report.versusOpenBlas(r)), times(report.versusCpu(r)));
        System.out.flush();
    }

    void printFooter() {
        System.out.println("-".repeat(WIDTH));
        System.out.println("GFLOP/s from the median; %peak: of the CPU's measured FMA peak (GPU: of its best GEMM);");
        System.out.println("vs BLAS: throughput / OpenBLAS on the same GEMM; vs CPU: speedup over the cpu backend.");
    }

    private static String ms(double seconds) {
        double v = seconds * 1e3;
        return v >= 100 ? fixed(v, 1) : v >= 1 ? fixed(v, 2) : fixed(v, 3);
    }

    private static String fixed(double v, int digits) { return Double.isNaN(v) ? "-" : String.format("%." + digits + "f", v); }

    private static String percent(double v) { return Double.isNaN(v) ? "-" : String.format("%.0f%%", v * 100); }

    private static String times(double v) { return Double.isNaN(v) ? "-" : String.format("%.2fx", v); }
}
