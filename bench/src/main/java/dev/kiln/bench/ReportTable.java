package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The report's columns, printed to the terminal one row at a time and written as Markdown at the end. */
final class ReportTable {
    /** A column: its header, its width (negative: left-aligned), and its cell of a measured row. */
    private record Column(String header, int width, Function<Row, String> cell) {}

    private final List<Column> columns = new ArrayList<>();

    /** {@code torch}: a PyTorch peer ran (adds "vs torch"); {@code compare}: a --compare run is loaded (adds "vs old"). */
    ReportTable(Main report, boolean torch, boolean compare) {
        add("backend", -9, Row::backend);
        add("prec", -4, Row::precision);
        add("op", -5, Row::kernel);
        add("name", -24, Row::name);
        add("batch", 5, r -> String.valueOf(r.batch()));
        add("median ms", 9, r -> ms(r.result().stats().median()));
        add("p90 ms", 9, r -> ms(r.result().stats().p90()));
        add("min ms", 9, r -> ms(r.result().stats().min()));
        add("max ms", 9, r -> ms(r.result().stats().max()));
        add("n", 5, r -> String.valueOf(r.result().stats().samples()));
        add("GFLOP/s", 9, r -> fixed(r.gflops(), 1));
        add("items/s", 8, r -> fixed(r.itemsPerSecond(), 1));
        add("%peak", 6, r -> percent(report.fractionOfPeak(r)));
        add("vs BLAS", 8, r -> times(report.versusOpenBlas(r)));
        add("vs CPU", 7, r -> times(report.versusCpu(r)));
        if (torch) add("vs torch", 8, r -> times(report.versusTorch(r)));
        if (compare) add("vs old", 7, r -> times(report.versusOld(r)));
    }

    private void add(String header, int width, Function<Row, String> cell) { columns.add(new Column(header, width, cell)); }

    static final String LEGEND = """
            GFLOP/s and items/s (models: images or sequences per second) from the median; %peak: of the CPU's measured FMA peak
            (GPUs: of the best call of an 8192^3 GEMM in the row's precision; other devices: of their best GEMM row);
            prec: the GEMM/convolution math mode; vs BLAS: throughput / OpenBLAS on the same GEMM; vs CPU: speedup over
            the cpu backend (fp32); vs torch: over PyTorch on the CPU (--compare-torch; fp32 rows only); vs old: over --compare.
            """;

    void printHeader() {
        System.out.println(line(columns.stream().map(Column::header).toList()));
        System.out.println("-".repeat(width()));
    }

    void printRow(Row r) {
        if (!r.ok()) {
            System.out.printf("%-9s %-4s %-5s %-24s %5s  FAILED: %s%n", r.backend(), r.precision(), r.kernel(), r.name(), r.batch(), r.error());
        } else {
            System.out.println(line(cells(r)));
        }
        System.out.flush();
    }

    void printNotRun(Main.NotRun n) {
        System.out.printf("%-9s %-4s not run (%s per precision): %s%n", n.backend(), String.join(",", n.precisions()), rows(n.rows()), n.reason());
        System.out.flush();
    }

    /** {@code Not run: `cpu` in tf32, bf16 (41 rows each): cpu computes in fp32 only}. */
    static String notRunLine(Main.NotRun n) {
        return "Not run: `" + n.backend() + "` in " + String.join(", ", n.precisions()) + " (" + rows(n.rows()) + " each): " + n.reason();
    }

    private static String rows(int n) { return n == 1 ? "1 row" : n + " rows"; }

    void printFooter() {
        System.out.println("-".repeat(width()));
        LEGEND.lines().forEach(System.out::println);
    }

    /** The rows as a Markdown table, header included. */
    String markdown(List<Row> rows) {
        StringBuilder md = new StringBuilder("|");
        for (Column c : columns) md.append(' ').append(c.header).append(" |");
        md.append("\n|");
        for (Column c : columns) md.append(c.width < 0 ? " --- |" : " ---: |");
        md.append('\n');
        for (Row r : rows) {
            List<String> cells = r.ok() ? cells(r) : failedCells(r);
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        return md.toString();
    }

    private List<String> cells(Row r) { return columns.stream().map(c -> c.cell.apply(r)).toList(); }

    private List<String> failedCells(Row r) {
        List<String> c = new ArrayList<>(List.of(r.backend(), r.precision(), r.kernel(), r.name(), String.valueOf(r.batch()),
                "failed: " + r.error().replace('|', '/')));
        while (c.size() < columns.size()) c.add("");
        return c;
    }

    private String line(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append(' ');
            b.append(String.format("%" + columns.get(i).width + "s", cells.get(i)));
        }
        return b.toString();
    }

    private int width() { return columns.stream().mapToInt(c -> Math.abs(c.width)).sum() + columns.size() - 1; }

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
