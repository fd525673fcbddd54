package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;

/** The report's columns, printed to the terminal one row at a time and written as Markdown at the end. */
final class ReportTable {
    private static final String[] HEADERS = {"backend", "op", "name", "batch", "median ms", "p90 ms", "min ms", "max ms", "n",
            "GFLOP/s", "img/s", "%peak", "vs BLAS", "vs CPU", "vs old"};
    private static final int[] WIDTHS = {-9, -5, -24, 5, 9, 9, 9, 9, 5, 9, 8, 6, 8, 7, 7};

    private final Main report;
    private final int columns;

    /** {@code compare}: whether a --compare run is loaded (adds the "vs old" column). */
    ReportTable(Main report, boolean compare) {
        this.report = report;
        this.columns = compare ? HEADERS.length : HEADERS.length - 1;
    }

    void printHeader() {
        System.out.println(line(List.of(HEADERS).subList(0, columns)));
        System.out.println("-".repeat(width()));
    }

    void printRow(Row r) {
        if (!r.ok()) {
            System.out.printf("%-9s %-5s %-24s %5s  FAILED: %s%n", r.backend(), r.kernel(), r.name(), r.batch(), r.error());
            return;
        }
        System.out.println(line(cells(r)));
        System.out.flush();
    }

    void printFooter() {
        System.out.println("-".repeat(width()));
        LEGEND.lines().forEach(System.out::println);
    }

    static final String LEGEND = """
            GFLOP/s and img/s (models: images per second) from the median; %peak: of the CPU's measured FMA peak (other devices: of their best GEMM);
            vs BLAS: throughput / OpenBLAS on the same GEMM; vs CPU: speedup over the cpu backend; vs old: over --compare.
            """;

    /** The row as a Markdown table, header included. */
    String markdown(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        List<String> header = List.of(HEADERS).subList(0, columns);
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < columns; i++) md.append(WIDTHS[i] < 0 ? " --- |" : " ---: |");
        md.append('\n');
        for (Row r : rows) {
            List<String> c = r.ok() ? cells(r) : failedCells(r);
            md.append("| ").append(String.join(" | ", c)).append(" |\n");
        }
        return md.toString();
    }

    private List<String> cells(Row r) {
        Stats s = r.result().stats();
        List<String> c = new ArrayList<>(List.of(r.backend(), r.kernel(), r.name(), String.valueOf(r.batch()), ms(s.median()),
                ms(s.p90()), ms(s.min()), ms(s.max()), String.valueOf(s.samples()), fixed(r.gflops(), 1),
                fixed(r.itemsPerSecond(), 1), percent(report.fractionOfPeak(r)), times(report.versusOpenBlas(r)), times(report.versusCpu(r)),
                times(report.versusOld(r))));
        return c.subList(0, columns);
    }

    private List<String> failedCells(Row r) {
        List<String> c = new ArrayList<>(List.of(r.backend(), r.kernel(), r.name(), String.valueOf(r.batch()),
                "failed: " + r.error().replace('|', '/')));
        while (c.size() < columns) c.add("");
        return c;
    }

    private String line(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append(' ');
            b.append(String.format("%" + WIDTHS[i] + "s", cells.get(i)));
        }
        return b.toString();
    }

    private int width() {
        int w = columns - 1;
        for (int i = 0; i < columns; i++) w += Math.abs(WIDTHS[i]);
        return w;
    }

    static String ms(double seconds) {
        double v = seconds * 1e3;
        return v >= 100 ? fixed(v, 1) : v >= 1 ? fixed(v, 2) : fixed(v, 3);
    }

    static String fixed(double v, int digits) { return Double.isNaN(v) ? "-" : String.format("%." + digits + "f", v); }

    static String percent(double v) { return Double.isNaN(v) ? "-" : String.format("%.0f%%", v * 100); }

    static String times(double v) {
        if (Double.isNaN(v)) return "-";
        return String.format(v < 0.095 ? "%.3fx" : "%.2fx", v);
    }
}
