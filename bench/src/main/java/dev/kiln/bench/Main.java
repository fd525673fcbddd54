package dev.kiln.bench;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.spi.BackendProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code ./kiln bench}: GEMM and convolution throughput on every available backend, against the
 * machine's measured FMA peak and OpenBLAS, as a live terminal table and a JSON report.
 */
public final class Main {
    private final Options options;
    private final ReportTable table = new ReportTable();
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Map<String, Object>> peaks = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private Progress progress;

    private Main(Options options) { this.options = options; }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kiln bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(Options.USAGE);
            return;
        }
        int status = new Main(options).run();
        System.exit(status);
    }

    /** A unit of the plan: one row, measured on demand. */
    private record Task(String label, java.util.function.Supplier<Row> measure) {}

    private int run() throws Exception {
        String started = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "Z";
        System.out.printf("Kiln bench on %s (%d logical cores), %s%n", MachineInfo.cpuModel(), MachineInfo.logicalCores(), MachineInfo.jvm());
        System.out.printf("Time budget %.1f s per row; conv batches %s%n", options.timeBudgetSeconds(), options.batches());

        double peakSeconds = options.quick() ? 1 : 3;
        FmaPeak.Result peak = FmaPeak.measure(MachineInfo.logicalCores(), peakSeconds);
        System.out.printf("CPU FP32 FMA peak (measured, %d threads, %d-bit vectors): %.1f GFLOP/s (%.1f per core)%n",
                peak.threads(), peak.vectorBits(), peak.gflops(), peak.perCoreGflops());
        Map<String, Object> cpuPeak = peakEntry(peak.gflops(), "fma-loop");
        cpuPeak.put("threads", peak.threads());
        cpuPeak.put("vector_bits", peak.vectorBits());
        peaks.put("cpu", cpuPeak);
        peaks.put("openblas", cpuPeak);

        Optional<OpenBlas> blas = OpenBlas.get();
        System.out.println("Reference: " + blas.map(b -> "OpenBLAS " + b.config() + " (" + b.source() + ", " + b.threads() + " threads)")
                .orElse(OpenBlas.unavailableReason()));
        List<String> devices = chooseDevices();
        System.out.println("Backends: " + (devices.isEmpty() ? "none available" : String.join(", ", devices)));
        System.out.println();

        List<List<Task>> groups = new ArrayList<>();
        blas.ifPresent(b -> groups.add(openBlasTasks(b)));
        for (String d : devices) groups.add(deviceTasks(d));
        int total = groups.stream().mapToInt(List::size).sum();
        progress = new Progress(total);
        table.printHeader();
        for (List<Task> group : groups) runGroup(group);
        progress.done();

        table.printFooter();
        for (String n : notes) System.out.println("note: " + n);
        Path file = writeJson(started);
        System.out.println("JSON report: " + file);
        boolean anyFailed = rows.stream().anyMatch(r -> !r.ok());
        return devices.isEmpty() || anyFailed ? 1 : 0;
    }

    private List<String> chooseDevices() {
        if (!options.backends().isEmpty()) return options.backends();
        List<String> out = new ArrayList<>();
        List<BackendProvider> providers = new ArrayList<>(Kiln.providers());
        // The CPU backend first: every other backend's rows are compared with it.
        providers.sort((a, b) -> Boolean.compare(!a.name().equals("cpu"), !b.name().equals("cpu")));
        for (BackendProvider p : providers) {
            Optional<String> why = MachineInfo.safeReason(p);
            if (why.isPresent()) {
                notes.add(p.name() + " skipped: " + why.get());
                continue;
            }
            int n = MachineInfo.safeDevices(p).size();
            if (p.name().equals("cpu")) out.add("cpu");
            else for (int i = 0; i < n; i++) out.add(p.name() + ":" + i);
        }
        return out;
    }

    private List<Task> openBlasTasks(OpenBlas blas) {
        List<Task> tasks = new ArrayList<>();
        for (int n : options.gemmSizes()) {
            String name = "gemm " + n;
            if (!options.selected(name)) continue;
            tasks.add(new Task("openblas " + name, () -> measure("openblas", "gemm", name, n + "x" + n + "x" + n, 1,
                    Workloads.gemmFlops(n), () -> Workloads.openBlasGemm(blas, n))));
        }
        return tasks;
    }

    private List<Task> deviceTasks(String deviceName) {
        List<Task> tasks = new ArrayList<>();
        Device device;
        try {
            device = Kiln.device(deviceName);
        } catch (RuntimeException e) {
            tasks.add(new Task(deviceName, () -> Row.failed(deviceName, "open", deviceName, "", 0, 0, e.getMessage())));
            return tasks;
        }
        for (int n : options.gemmSizes()) {
            String name = "gemm " + n;
            if (!options.selected(name)) continue;
            tasks.add(new Task(deviceName + " " + name, () -> measure(deviceName, "gemm", name, n + "x" + n + "x" + n, 1,
                    Workloads.gemmFlops(n), () -> Workloads.gemm(device, n))));
        }
        for (ConvLayer layer : ConvLayer.ALL) {
            if (!options.selected(layer.name())) continue;
            for (int batch : options.batches()) {
                tasks.add(new Task(deviceName + " " + layer.name() + " b" + batch, () -> measure(deviceName, "conv", layer.name(),
                        layer.geometry(), batch, layer.flops(batch), () -> Workloads.conv(device, layer, batch))));
            }
        }
        return tasks;
    }

    /**
     * Runs one backend's rows. A GPU's peak is its best GEMM rate (Kiln measures no FMA loop on a
     * device), so its GEMM rows are printed once all of them are in.
     */
    private void runGroup(List<Task> tasks) {
        List<Row> pending = new ArrayList<>();
        for (Task t : tasks) {
            progress.start(t.label());
            Row r = t.measure().get();
            rows.add(r);
            boolean deviceGemm = r.kernel().equals("gemm") && !peaks.containsKey(r.backend());
            if (deviceGemm) {
                pending.add(r);
                continue;
            }
            flush(pending);
            progress.clear();
            table.printRow(r, this);
        }
        flush(pending);
    }

    private void flush(List<Row> pending) {
        if (pending.isEmpty()) return;
        String backend = pending.getFirst().backend();
        double best = pending.stream().filter(Row::ok).mapToDouble(Row::gflops).max().orElse(Double.NaN);
        if (!Double.isNaN(best)) peaks.put(backend, peakEntry(best, "best-gemm"));
        progress.clear();
        for (Row r : pending) table.printRow(r, this);
        pending.clear();
    }

    private static Map<String, Object> peakEntry(double gflops, String source) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gflops", gflops);
        m.put("source", source);
        return m;
    }

    private Row measure(String backend, String kernel, String name, String geometry, int batch, double flops,
            java.util.function.Supplier<Workloads.Workload> setup) {
        try (Workloads.Workload w = setup.get()) {
            Sampler.Result result = new Sampler(options.timeBudgetSeconds()).measure(w);
            return new Row(backend, kernel, name, geometry, batch, flops, result, null);
        } catch (Exception | OutOfMemoryError e) {
            String why = e.getClass().getSimpleName() + ": " + e.getMessage();
            return Row.failed(backend, kernel, name, geometry, batch, flops, why);
        }
    }

    // ---- derived columns ----

    double fractionOfPeak(Row r) {
        Map<String, Object> p = peaks.get(r.backend());
        return p == null || !r.ok() ? Double.NaN : r.gflops() / (Double) p.get("gflops");
    }

    /** Throughput relative to OpenBLAS on the same GEMM (>1: faster than OpenBLAS). */
    double versusOpenBlas(Row r) {
        if (!r.kernel().equals("gemm") || r.backend().equals("openblas")) return Double.NaN;
        return ratio(r, x -> x.backend().equals("openblas"));
    }

    /** Speedup over the CPU backend on the same work. */
    double versusCpu(Row r) {
        if (r.backend().equals("cpu") || r.backend().equals("openblas")) return Double.NaN;
        return ratio(r, x -> x.backend().equals("cpu"));
    }

    private double ratio(Row r, java.util.function.Predicate<Row> reference) {
        if (!r.ok()) return Double.NaN;
        return rows.stream().filter(reference).filter(x -> x.ok() && x.key().equals(r.key())).findFirst()
                .map(x -> x.medianSeconds() / r.medianSeconds()).orElse(Double.NaN);
    }

    // ---- JSON ----

    private Path writeJson(String started) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "kiln-bench/1");
        root.put("started", started);
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("backends", options.backends());
        opts.put("time_budget_s", options.timeBudgetSeconds());
        opts.put("quick", options.quick());
        opts.put("batches", options.batches());
        opts.put("gemm_sizes", options.gemmSizes());
        opts.put("only", options.only() == null ? null : options.only().pattern());
        root.put("options", opts);
        root.put("machine", MachineInfo.describe());
        root.put("peaks", peaks);
        root.put("rows", rows.stream().map(this::rowJson).toList());
        root.put("notes", notes);
        Files.createDirectories(options.out());
        String stamp = started.replaceAll("[^0-9T]", "").replace('T', '-').substring(0, 15);
        Path file = options.out().resolve("bench-" + stamp + ".json");
        String json = Json.write(root);
        Files.writeString(file, json);
        Files.writeString(options.out().resolve("latest.json"), json);
        return file;
    }

    private Map<String, Object> rowJson(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend());
        m.put("kernel", r.kernel());
        m.put("name", r.name());
        m.put("geometry", r.geometry());
        m.put("batch", r.batch());
        m.put("flops", r.flops());
        if (r.ok()) {
            Stats s = r.result().stats();
            Function<Double, Double> ms = v -> v * 1e3;
            m.put("first_call_ms", ms.apply(r.result().firstCallSeconds()));
            m.put("samples", s.samples());
            m.put("settled", r.result().settled());
            m.put("median_ms", ms.apply(s.median()));
            m.put("p90_ms", ms.apply(s.p90()));
            m.put("min_ms", ms.apply(s.min()));
            m.put("max_ms", ms.apply(s.max()));
            m.put("mean_ms", ms.apply(s.mean()));
            m.put("gflops", r.gflops());
            m.put("fraction_of_peak", fractionOfPeak(r));
            m.put("vs_openblas", versusOpenBlas(r));
            m.put("vs_cpu", versusCpu(r));
        } else {
            m.put("error", r.error());
        }
        return m;
    }
}
