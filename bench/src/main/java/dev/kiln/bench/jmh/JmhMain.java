package dev.kiln.bench.jmh;

import dev.kiln.bench.ConvLayer;
import dev.kiln.bench.FmaPeak;
import dev.kiln.bench.MachineInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * {@code ./kiln jmh PATTERN [JMH OPTIONS]}: runs the matching JMH benchmarks, then restates each
 * result as GFLOP/s, its fraction of the measured FMA peak, and Kiln/OpenBLAS for GEMM sizes.
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] args) throws Exception {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("kiln jmh: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams() || options.shouldListProfilers()
                || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        if (results.isEmpty()) {
            System.err.println("kiln jmh: no benchmark matched " + options.getIncludes()
                    + "; the benchmarks are GemmBenchmark, OpenBlasGemmBenchmark, ConvBenchmark (./kiln jmh Gemm)");
            System.exit(1);
        }
        printGflops(results);
    }

    private static void printGflops(Collection<RunResult> results) throws InterruptedException {
        FmaPeak.Result peak = FmaPeak.measure(MachineInfo.logicalCores(), 2);
        Map<Integer, Double> blasGflops = new TreeMap<>();
        List<String[]> lines = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            double seconds = secondsPerOp(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreUnit());
            double flops = flops(p);
            if (Double.isNaN(flops) || Double.isNaN(seconds)) continue;
            double gflops = flops / seconds * 1e-9;
            if (p.getBenchmark().contains("OpenBlasGemm")) blasGflops.put(Integer.parseInt(p.getParam("size")), gflops);
            lines.add(new String[] {p.getBenchmark().replaceFirst(".*\\.(\\w+\\.\\w+)$", "$1"), describe(p),
                    String.format(Locale.ROOT, "%.3f", seconds * 1e3), String.format(Locale.ROOT, gflops < 10 ? "%.3f" : "%.1f", gflops),
                    String.format(Locale.ROOT, "%.0f%%", 100 * gflops / peak.gflops())});
        }
        System.out.printf("%nGFLOP/s (FP32 FMA peak measured here: %.1f GFLOP/s on %d threads)%n", peak.gflops(), peak.threads());
        String format = "%-30s %-36s %12s %9s %6s %8s%n";
        System.out.printf(format, "benchmark", "params", "ms/op", "GFLOP/s", "%peak", "vs BLAS");
        for (String[] l : lines) {
            String vsBlas = "-";
            if (l[0].startsWith("GemmBenchmark")) {
                Integer size = Integer.valueOf(l[1].replaceAll(".*size=(\\d+).*", "$1"));
                Double ref = blasGflops.get(size);
                if (ref != null) {
                    double ratio = Double.parseDouble(l[3]) / ref;
                    vsBlas = String.format(Locale.ROOT, ratio < 0.095 ? "%.3fx" : "%.2fx", ratio);
                }
            }
            System.out.printf(format, l[0], l[1], l[2], l[3], l[4], vsBlas);
        }
    }

    /** The work of one call, from the benchmark's parameters. */
    static double flops(BenchmarkParams p) {
        String name = p.getBenchmark();
        if (name.contains("GemmBenchmark")) return GemmBenchmark.flops(Integer.parseInt(p.getParam("size")));
        if (name.contains("ConvBenchmark")) {
            return ConvLayer.byName(p.getParam("layer")).map(l -> l.flops(Integer.parseInt(p.getParam("batch")))).orElse(Double.NaN);
        }
        return Double.NaN;
    }

    private static String describe(BenchmarkParams p) {
        StringBuilder s = new StringBuilder();
        for (String key : p.getParamsKeys()) s.append(s.isEmpty() ? "" : " ").append(key).append('=').append(p.getParam(key));
        return s.toString();
    }

    /** JMH scores come as time per op ("ms/op") or ops per time ("ops/s"), depending on the mode. */
    static double secondsPerOp(double score, String unit) {
        if (unit.endsWith("/op")) return score * unitSeconds(unit.substring(0, unit.length() - 3));
        if (unit.startsWith("ops/")) return 1.0 / (score / unitSeconds(unit.substring(4)));
        return Double.NaN;
    }

    private static double unitSeconds(String u) {
        return switch (u) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            case "hr" -> 3600;
            default -> Double.NaN;
        };
    }
}
