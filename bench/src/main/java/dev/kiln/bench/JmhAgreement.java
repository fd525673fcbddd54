package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench report's GEMM rows beside JMH's scores for the same GEMMs, and whether they agree within
 * their run-to-run spread. Pure functions of parsed JSON, so the judgement is unit-tested on fixed inputs.
 */
final class JmhAgreement {
    /**
     * The least spread granted to either side: the sampler calls a row settled when its halves agree
     * within 2%, so a difference below that is no disagreement even where both intervals are narrower.
     */
    static final double FLOOR = 0.02;

    private JmhAgreement() {}

    /** A GEMM row of the report, in milliseconds per call. */
    record ReportGemm(String backend, String precision, int size, double medianMs, double minMs, double p90Ms, double maxMs) {
        String key() { return backend + "|" + precision + "|" + size; }
    }

    /** A JMH result, in milliseconds per call: its score and the interval JMH gives it (99.9% confidence). */
    record JmhScore(String backend, String precision, int size, double scoreMs, double lowMs, double highMs) {
        String key() { return backend + "|" + precision + "|" + size; }
    }

    /** A report row and its JMH score (null when JMH has none). */
    record Line(ReportGemm report, JmhScore jmh) {
        /** JMH's time over the report's median: 1 when they agree exactly. */
        double ratio() { return jmh == null ? Double.NaN : jmh.scoreMs() / report.medianMs(); }

        boolean agree() { return jmh != null && JmhAgreement.agree(report, jmh); }
    }

    /**
     * Agreement: the report's spread of calls [min, p90] overlaps JMH's interval, or the two central
     * values are within {@link #FLOOR}. Any NaN disagrees.
     */
    static boolean agree(ReportGemm r, JmhScore j) {
        double[] all = {r.medianMs(), r.minMs(), r.p90Ms(), j.scoreMs(), j.lowMs(), j.highMs()};
        for (double v : all) if (Double.isNaN(v)) return false;
        boolean overlap = j.highMs() >= r.minMs() && j.lowMs() <= r.p90Ms();
        return overlap || Math.abs(j.scoreMs() / r.medianMs() - 1) <= FLOOR;
    }

    /** The GEMM rows that ran, from a parsed kiln bench report (any format version; no precision means fp32). */
    static List<ReportGemm> reportRows(Object report) {
        if (!(report instanceof Map<?, ?> m) || !(m.get("rows") instanceof List<?> rows)) {
            throw new IllegalArgumentException("not a kiln bench report (no \"rows\" list)");
        }
        List<ReportGemm> out = new ArrayList<>();
        for (Object o : rows) {
            if (!(o instanceof Map<?, ?> row) || !"gemm".equals(row.get("kernel")) || !(row.get("median_ms") instanceof Double median)) continue;
            String backend = String.valueOf(row.get("backend"));
            if (backend.equals(TorchPeer.BACKEND)) continue;   // no JMH benchmark runs PyTorch
            String precision = row.get("precision") instanceof String p ? p : Row.FP32;
            int size = Integer.parseInt(String.valueOf(row.get("name")).replaceAll("\\D", ""));
            out.add(new ReportGemm(backend, precision, size, median, number(row.get("min_ms")), number(row.get("p90_ms")),
                    number(row.get("max_ms"))));
        }
        return out;
    }

    /**
     * The scores of GemmBenchmark and OpenBlasGemmBenchmark in a parsed JMH JSON result. GemmBenchmark's
     * {@code backend} may carry a precision ({@code cuda:0@tf32}); OpenBLAS is fp32.
     */
    static List<JmhScore> jmhScores(Object jmh) {
        if (!(jmh instanceof List<?> results)) throw new IllegalArgumentException("not a JMH JSON result (expected a list)");
        List<JmhScore> out = new ArrayList<>();
        for (Object o : results) {
            if (!(o instanceof Map<?, ?> r) || !(r.get("params") instanceof Map<?, ?> params)
                    || !(r.get("primaryMetric") instanceof Map<?, ?> metric)) continue;
            String benchmark = String.valueOf(r.get("benchmark"));
            String backend;
            if (benchmark.contains(".OpenBlasGemmBenchmark.")) backend = "openblas";
            else if (benchmark.contains(".GemmBenchmark.")) backend = String.valueOf(params.get("backend"));
            else continue;
            String precision = Row.FP32;
            int at = backend.indexOf('@');
            if (at >= 0) {
                precision = backend.substring(at + 1);
                backend = backend.substring(0, at);
            }
            int size = Integer.parseInt(String.valueOf(params.get("size")));
            String unit = String.valueOf(metric.get("scoreUnit"));
            double score = ms(number(metric.get("score")), unit);
            double[] interval = interval(metric, unit);
            out.add(new JmhScore(backend, precision, size, score, interval[0], interval[1]));
        }
        return out;
    }

    /** JMH's confidence interval; where it has none (one iteration), the range of its iterations. */
    private static double[] interval(Map<?, ?> metric, String unit) {
        double a = Double.NaN, b = Double.NaN;
        if (metric.get("scoreConfidence") instanceof List<?> ci && ci.size() == 2) {
            a = ms(number(ci.get(0)), unit);
            b = ms(number(ci.get(1)), unit);
        }
        if ((Double.isNaN(a) || Double.isNaN(b)) && metric.get("rawData") instanceof List<?> forks) {
            a = Double.POSITIVE_INFINITY;
            b = Double.NEGATIVE_INFINITY;
            for (Object f : forks) {
                if (!(f instanceof List<?> iterations)) continue;
                for (Object v : iterations) {
                    double t = ms(number(v), unit);
                    a = Math.min(a, t);
                    b = Math.max(b, t);
                }
            }
            if (a > b) a = b = Double.NaN;
        }
        // ops-per-time scores invert: the interval's ends swap
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }

    /** A JMH score as milliseconds per call: time per op ("us/op") as it is, ops per time ("ops/s") inverted. */
    static double ms(double score, String unit) {
        if (unit.endsWith("/op")) return score * unitMs(unit.substring(0, unit.length() - 3));
        if (unit.startsWith("ops/")) return unitMs(unit.substring(4)) / score;
        return Double.NaN;
    }

    private static double unitMs(String unit) {
        return switch (unit) {
            case "ns" -> 1e-6;
            case "us" -> 1e-3;
            case "ms" -> 1;
            case "s" -> 1e3;
            case "min" -> 6e4;
            case "hr" -> 3.6e6;
            default -> Double.NaN;
        };
    }

    /** JMH writes NaN as the string "NaN"; a missing number is NaN too. */
    private static double number(Object o) { return o instanceof Double d ? d : Double.NaN; }

    /** Every report row, with its JMH score where one exists, in the report's order. */
    static List<Line> compare(List<ReportGemm> report, List<JmhScore> jmh) {
        List<Line> out = new ArrayList<>();
        for (ReportGemm r : report) {
            out.add(new Line(r, jmh.stream().filter(j -> j.key().equals(r.key())).findFirst().orElse(null)));
        }
        return out;
    }

    /** The side-by-side table, with a closing verdict line. */
    static String table(List<Line> lines) {
        StringBuilder b = new StringBuilder();
        String format = "%-10s %-4s %6s  %11s  %-24s  %11s  %-20s  %8s  %s%n";
        b.append(String.format(Locale.ROOT, format, "backend", "prec", "size", "report ms", "report min..p90 (max)", "JMH ms/op",
                "JMH interval", "JMH/rep", "verdict"));
        int agreeing = 0;
        for (Line l : lines) {
            ReportGemm r = l.report();
            JmhScore j = l.jmh();
            boolean ok = l.agree();
            if (ok) agreeing++;
            b.append(String.format(Locale.ROOT, format, r.backend(), r.precision(), r.size(), fixed(r.medianMs()),
                    fixed(r.minMs()) + ".." + fixed(r.p90Ms()) + " (" + fixed(r.maxMs()) + ")",
                    j == null ? "-" : fixed(j.scoreMs()), j == null ? "no JMH result" : fixed(j.lowMs()) + ".." + fixed(j.highMs()),
                    j == null ? "-" : String.format(Locale.ROOT, "%.3f", l.ratio()), ok ? "agree" : "DISAGREE"));
        }
        b.append(String.format(Locale.ROOT, "%d of %d GEMM rows agree with JMH (agree: the report's min..p90 overlaps JMH's"
                + " 99.9%% interval, or the two differ by at most %.0f%%)%n", agreeing, lines.size(), FLOOR * 100));
        return b.toString();
    }

    private static String fixed(double ms) {
        if (Double.isNaN(ms)) return "-";
        return String.format(Locale.ROOT, ms >= 100 ? "%.1f" : ms >= 1 ? "%.3f" : "%.4f", ms);
    }
}
