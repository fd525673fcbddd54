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
    private final ReportTable table;
    /** Median milliseconds of an earlier run's rows by {@link #compareKey}, from --compare. */
    private final Map<String, Double> previous;
    /** The rows measured so far, in order (package-private for the tests of the ratio columns). */
    final List<Row> rows = new ArrayList<>();
    private final Map<String, Map<String, Object>> peaks = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    /** Backends' rows in a precision they do not offer: listed, not run. */
    private final List<NotRun> notRun = new ArrayList<>();
    /** Backend.properties() of each opened device that has some (GPU name, driver and library versions). */
    private final Map<String, Map<String, String>> deviceFacts = new LinkedHashMap<>();
    private Progress progress;

    private final List<String> commandLine;

    Main(Options options, Map<String, Double> previous, List<String> commandLine) {
        this.commandLine = commandLine;
        this.options = options;
        this.previous = previous;
        this.table = new ReportTable(this, options.compareTorch(), previous != null);
    }

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
        if (options.checkJmh() != null) {
            System.exit(JmhCheck.run(options.checkJmh(), options.jmhResult()));
            return;
        }
        Map<String, Double> previous = null;
        if (options.compare() != null) {
            try {
                previous = loadPrevious(options.compare());
            } catch (IOException | RuntimeException e) {
                System.err.println("kiln bench: --compare " + options.compare() + ": " + e.getMessage());
                System.exit(2);
                return;
            }
        }
        int status = new Main(options, previous, List.of(args)).run();
        System.exit(status);
    }

    /** A unit of the plan: one row, measured on demand. */
    private record Task(String label, java.util.function.Supplier<Row> measure) {}

    /**
     * One backend's rows in one precision; {@code peak}, when not null, measures the device's peak
     * (a large GEMM) before them, stored under {@code series}.
     */
    private record Group(String series, Task peak, List<Task> tasks) {
        int size() { return tasks.size() + (peak == null ? 0 : 1); }
    }

    /** A backend's rows in precisions it does not offer: {@code rows} rows per precision, not run because {@code reason}. */
    record NotRun(String backend, List<String> precisions, String reason, int rows) {}

    private int run() throws Exception {
        String started = LocalDateTime.now(ZoneOffset.UTC).withNano(0).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "Z";
        System.out.printf("Kiln bench on %s (%d logical cores), %s%n", MachineInfo.cpuModel(), MachineInfo.logicalCores(), MachineInfo.jvm());
        System.out.printf("Time budget %.1f s per row; conv batches %s; precisions %s%n", options.timeBudgetSeconds(), options.batches(),
                String.join(", ", options.precisions()));

        double load = MachineInfo.loadAverage();
        if (load > MachineInfo.logicalCores() * 0.5) {
            String warning = String.format("load average %.1f on %d cores when the run started: other processes compete for the CPU,"
                    + " so CPU numbers will be low and noisy", load, MachineInfo.logicalCores());
            System.out.println("warning: " + warning);
            notes.add(warning);
        }
        double peakSeconds = options.quick() ? 1 : 3;
        FmaPeak.Result peak = FmaPeak.measure(MachineInfo.logicalCores(), peakSeconds);
        System.out.printf("CPU FP32 FMA peak (measured, %d threads, %d-bit vectors): %.1f GFLOP/s (%.1f per core)%n",
                peak.threads(), peak.vectorBits(), peak.gflops(), peak.perCoreGflops());
        Map<String, Object> cpuPeak = peakEntry(peak.gflops(), "fma-loop");
        cpuPeak.put("threads", peak.threads());
        cpuPeak.put("vector_bits", peak.vectorBits());
        peaks.put("cpu", cpuPeak);
        peaks.put("openblas", cpuPeak);
        if (options.compareTorch()) peaks.put(TorchPeer.BACKEND, cpuPeak);

        Optional<OpenBlas> blas = OpenBlas.get();
        System.out.println("Reference: " + blas.map(b -> "OpenBLAS " + b.config() + " (" + b.source() + ", " + b.threads() + " threads)")
                .orElse(OpenBlas.unavailableReason()));
        List<String> devices = chooseDevices();
        System.out.println("Backends: " + (devices.isEmpty() ? "none available" : String.join(", ", devices)));
        System.out.println();

        List<Group> groups = new ArrayList<>();
        blas.ifPresent(b -> groups.add(new Group("openblas", null, openBlasTasks(b))));
        for (String d : devices) groups.addAll(deviceGroups(d));
        List<Spec> torchPlan = options.compareTorch() ? Spec.plan(options) : List.of();
        int total = groups.stream().mapToInt(Group::size).sum() + torchPlan.size();
        progress = new Progress(total);
        table.printHeader();
        for (NotRun n : notRun) table.printNotRun(n);
        // OpenBLAS, then PyTorch, then the Kiln devices: every ratio's reference is in before its row prints.
        if (blas.isPresent()) runGroup(groups.removeFirst());
        if (!torchPlan.isEmpty()) runTorch(torchPlan);
        for (Group group : groups) runGroup(group);
        progress.done();

        table.printFooter();
        // On a shared machine one peak run can be unlucky: measure again and keep the better one.
        FmaPeak.Result again = FmaPeak.measure(MachineInfo.logicalCores(), peakSeconds);
        if (again.gflops() > peak.gflops()) {
            notes.add(String.format("the FMA peak measured %.1f GFLOP/s at the end against %.1f at the start (machine load);"
                    + " the reports use the higher", again.gflops(), peak.gflops()));
            peak = again;
            cpuPeak.put("gflops", peak.gflops());
        }
        for (String n : notes) System.out.println("note: " + n);
        Path file = writeJson(started);
        Path md = writeMarkdown(file, started, peak, blas);
        System.out.println("Reports: " + file + ", " + md);
        try {
            for (Path chart : Charts.write(rows, Path.of(file.toString().replaceFirst("\\.json$", "")))) {
                System.out.println("Chart: " + chart);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // A machine without fonts or AWT libraries still gets the table, JSON and Markdown.
            System.out.println("note: no charts: " + e);
        }
        boolean anyFailed = rows.stream().anyMatch(r -> !r.ok());
        return devices.isEmpty() || anyFailed ? 1 : 0;
    }

    private List<String> chooseDevices() {
        if (!options.backends().isEmpty()) return options.backends();
        List<String> out = new ArrayList<>();
        String loadError = MachineInfo.providerError();
        if (loadError != null) notes.add(loadError);
        List<BackendProvider> providers = new ArrayList<>(MachineInfo.providers());
        // The CPU backend first: every other backend's rows are compared with it.
        providers.sort((a, b) -> Boolean.compare(!a.name().equals("cpu"), !b.name().equals("cpu")));
        for (BackendProvider p : providers) {
            Optional<String> why = MachineInfo.safeReason(p);
            if (why.isPresent()) {
                notes.add(p.name() + " skipped: " + why.get());
                continue;
            }
            if (p.rank() < 0) {
                // a backend ranked below the CPU emulates its devices on the same cores (OpenCL on PoCL):
                // it says nothing about what a GPU buys, and would double the run; name it to include it
                notes.add(p.name() + " left out of the default run: its devices run on the same CPU cores "
                        + "(rank " + p.rank() + "); include it with --backends cpu," + p.name());
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
            tasks.add(new Task("openblas " + name, () -> measure("openblas", Row.FP32, "gemm", name, n + "x" + n + "x" + n, 1,
                    Workloads.gemmFlops(n), () -> Workloads.openBlasGemm(blas, n))));
        }
        return tasks;
    }

    /**
     * A device's groups, one per requested precision it offers. A backend that offers more than fp32
     * is opened by precision ({@code cuda:0@tf32}), so a -Dkiln.cuda.precision cannot relabel its rows;
     * the precisions it lacks become one not-run entry. GPU-class devices (ranked above the CPU) get
     * a measured peak per precision.
     */
    private List<Group> deviceGroups(String deviceName) {
        String prefix = deviceName.contains(":") ? deviceName.substring(0, deviceName.indexOf(':')) : deviceName;
        Optional<BackendProvider> provider = MachineInfo.providers().stream().filter(p -> p.name().equals(prefix)).findFirst();
        List<String> offered = provider.map(MachineInfo::safePrecisions).orElse(List.of(Row.FP32));
        boolean measurePeak = provider.isPresent() && provider.get().rank() > cpuRank();
        List<Spec> plan = Spec.plan(options);
        PrecisionPlan precisions = PrecisionPlan.of(deviceName, prefix, offered, options.precisions(), plan.size());
        if (precisions.notRun() != null) notRun.add(precisions.notRun());
        List<Group> groups = new ArrayList<>();
        for (PrecisionPlan.Run run : precisions.runs()) {
            String precision = run.precision();
            String name = run.openAs();
            Device device;
            try {
                device = Kiln.device(name);
            } catch (RuntimeException | java.util.ServiceConfigurationError e) {
                groups.add(new Group(Row.seriesName(deviceName, precision), null,
                        List.of(new Task(name, () -> Row.failed(deviceName, precision, "open", name, "", 0, 0, e.getMessage())))));
                continue;
            }
            if (!deviceFacts.containsKey(deviceName)) {
                Map<String, String> facts = DeviceFacts.of(device);
                deviceFacts.put(deviceName, facts);
                if (!facts.isEmpty()) System.out.println(DeviceFacts.describe(deviceName, facts));
            }
            List<Task> tasks = new ArrayList<>();
            for (Spec spec : plan) {
                tasks.add(new Task(name + " " + spec.label(), () -> measure(deviceName, precision, spec.kernel(), spec.name(),
                        spec.geometry(), spec.batch(), spec.flops(), () -> spec.setup(device))));
            }
            Task peak = null;
            if (measurePeak && !tasks.isEmpty()) {
                int n = DeviceFacts.PEAK_GEMM;
                peak = new Task(name + " peak: gemm " + n, () -> measure(deviceName, precision, "gemm", "gemm " + n, n + "x" + n + "x" + n,
                        1, Workloads.gemmFlops(n), () -> Workloads.gemm(device, n)));
            }
            groups.add(new Group(Row.seriesName(deviceName, precision), peak, tasks));
        }
        return groups;
    }

    /** The CPU backend's rank: devices ranked above it are GPUs, whose peak is measured. */
    private static int cpuRank() {
        return MachineInfo.providers().stream().filter(p -> p.name().equals("cpu")).mapToInt(BackendProvider::rank).findFirst().orElse(0);
    }

    /**
     * Runs one backend's rows. A GPU's peak is its best GEMM rate (Kiln measures no FMA loop on a
     * device), so its GEMM rows are printed once all of them are in.
     */
    private void runGroup(Group group) {
        if (group.peak() != null) measurePeak(group);
        List<Row> pending = new ArrayList<>();
        for (Task t : group.tasks()) {
            progress.start(t.label());
            Row r = t.measure().get();
            rows.add(r);
            boolean deviceGemm = r.kernel().equals("gemm") && !peaks.containsKey(r.series());
            if (deviceGemm) {
                pending.add(r);
                continue;
            }
            flush(pending);
            progress.clear();
            table.printRow(r);
        }
        flush(pending);
    }

    /** The device's peak in this precision: the best call of a large GEMM. Without it, %peak falls back to the best GEMM row. */
    private void measurePeak(Group group) {
        progress.start(group.peak().label());
        Row r = group.peak().measure().get();
        progress.clear();
        if (r.ok()) {
            Map<String, Object> entry = DeviceFacts.gemmPeak(r);
            peaks.put(group.series(), entry);
            System.out.printf("%s peak: %.1f GFLOP/s (best call of a %s GEMM, %s)%n", group.series(), (Double) entry.get("gflops"),
                    r.geometry(), r.precision());
        } else {
            notes.add(group.series() + ": the peak GEMM (" + r.name() + ") failed: " + r.error() + "; %peak is of the best GEMM row instead");
        }
    }

    private void runTorch(List<Spec> plan) {
        progress.start("torch: PyTorch subprocess (" + TorchPeer.python() + ")");
        try {
            String version = TorchPeer.run(plan, options.timeBudgetSeconds(), MachineInfo.logicalCores(), r -> {
                rows.add(r);
                progress.clear();
                table.printRow(r);
                progress.start("torch: PyTorch subprocess");
            });
            notes.add("torch rows: " + version + " on the CPU, run by " + TorchPeer.python());
        } catch (IOException | RuntimeException e) {
            notes.add("--compare-torch: no PyTorch rows: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        progress.clear();
    }

    private void flush(List<Row> pending) {
        if (pending.isEmpty()) return;
        String backend = pending.getFirst().series();
        double best = pending.stream().filter(Row::ok).mapToDouble(Row::gflops).max().orElse(Double.NaN);
        if (!Double.isNaN(best)) peaks.put(backend, peakEntry(best, "best-gemm"));
        progress.clear();
        for (Row r : pending) table.printRow(r);
        pending.clear();
    }

    private static Map<String, Object> peakEntry(double gflops, String source) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gflops", gflops);
        m.put("source", source);
        return m;
    }

    private Row measure(String backend, String precision, String kernel, String name, String geometry, int batch, double flops,
            java.util.function.Supplier<Workloads.Workload> setup) {
        try (Workloads.Workload w = setup.get()) {
            Sampler.Result result = new Sampler(options.timeBudgetSeconds()).measure(w);
            return new Row(backend, precision, kernel, name, geometry, batch, flops, result, null);
        } catch (Exception | OutOfMemoryError e) {
            String why = e.getClass().getSimpleName() + ": " + e.getMessage();
            return Row.failed(backend, precision, kernel, name, geometry, batch, flops, why);
        }
    }

    // ---- derived columns ----

    double fractionOfPeak(Row r) {
        Map<String, Object> p = peaks.get(r.series());
        return p == null || !r.ok() ? Double.NaN : r.gflops() / (Double) p.get("gflops");
    }

    /** Throughput relative to OpenBLAS on the same GEMM (>1: faster than OpenBLAS). */
    double versusOpenBlas(Row r) {
        if (!r.kernel().equals("gemm") || r.backend().equals("openblas")) return Double.NaN;
        return ratio(r, x -> x.backend().equals("openblas"));
    }

    /** Speedup over the CPU backend on the same work. */
    double versusCpu(Row r) {
        if (r.backend().equals("cpu") || r.backend().equals("openblas") || r.backend().equals(TorchPeer.BACKEND)) return Double.NaN;
        return ratio(r, x -> x.backend().equals("cpu"));
    }

    /**
     * Throughput relative to PyTorch on the CPU on the same work (>1: Kiln is faster). PyTorch runs in
     * fp32, so only fp32 rows have this ratio: a framework comparison needs the same math.
     */
    double versusTorch(Row r) {
        if (r.backend().equals(TorchPeer.BACKEND) || r.backend().equals("openblas") || !r.precision().equals(Row.FP32)) return Double.NaN;
        return ratio(r, x -> x.backend().equals(TorchPeer.BACKEND));
    }

    /** Speedup over the same row of the --compare run (>1: faster now). */
    double versusOld(Row r) {
        if (previous == null || !r.ok()) return Double.NaN;
        Double old = previous.get(compareKey(r.backend(), r.precision(), r.kernel(), r.name(), r.batch()));
        return old == null ? Double.NaN : old * 1e-3 / r.medianSeconds();
    }

    private static String compareKey(String backend, String precision, String kernel, String name, long batch) {
        return backend + "|" + precision + "|" + kernel + "|" + name + "|" + batch;
    }

    static Map<String, Double> loadPrevious(Path file) throws IOException {
        Object root = Json.parse(Files.readString(file));
        if (!(root instanceof Map<?, ?> m) || !(m.get("rows") instanceof List<?> list)) {
            throw new IllegalArgumentException("not a kiln bench report (no \"rows\" list)");
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (Object o : list) {
            if (o instanceof Map<?, ?> row && row.get("median_ms") instanceof Double median) {
                // reports before kiln-bench/2 have no precision: they ran in fp32
                String precision = row.get("precision") instanceof String p ? p : Row.FP32;
                out.put(compareKey(String.valueOf(row.get("backend")), precision, String.valueOf(row.get("kernel")),
                        String.valueOf(row.get("name")), ((Double) row.get("batch")).longValue()), median);
            }
        }
        return out;
    }

    private double ratio(Row r, java.util.function.Predicate<Row> reference) {
        if (!r.ok()) return Double.NaN;
        return rows.stream().filter(reference).filter(x -> x.ok() && x.key().equals(r.key())).findFirst()
                .map(x -> x.medianSeconds() / r.medianSeconds()).orElse(Double.NaN);
    }

    // ---- JSON ----

    private Path writeJson(String started) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("started", started);
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("backends", options.backends());
        opts.put("time_budget_s", options.timeBudgetSeconds());
        opts.put("quick", options.quick());
        opts.put("batches", options.batches());
        opts.put("gemm_sizes", options.gemmSizes());
        opts.put("models", options.models());
        opts.put("only", options.only() == null ? null : options.only().pattern());
        opts.put("compare", options.compare() == null ? null : options.compare().toString());
        opts.put("compare_torch", options.compareTorch());
        opts.put("precisions", options.precisions());
        root.put("options", opts);
        Map<String, Object> machine = MachineInfo.describe();
        machine.put("devices", DeviceFacts.json(deviceFacts));
        root.put("machine", machine);
        root.put("peaks", peaks);
        root.put("rows", rows.stream().map(this::rowJson).toList());
        root.put("not_run", notRun.stream().map(Main::notRunJson).toList());
        root.put("notes", notes);
        Files.createDirectories(options.out());
        String stamp = started.replaceAll("[^0-9T]", "").replace('T', '-').substring(0, 15);
        Path file = options.out().resolve("bench-" + stamp + ".json");
        String json = Json.write(root);
        Files.writeString(file, json);
        Files.writeString(options.out().resolve("latest.json"), json);
        return file;
    }

    private Path writeMarkdown(Path json, String started, FmaPeak.Result peak, Optional<OpenBlas> blas) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# Kiln bench, ").append(started).append("\n\n");
        md.append("- Machine: ").append(MachineInfo.cpuModel()).append(", ").append(MachineInfo.logicalCores())
                .append(" logical cores, ").append(String.format("%.1f GiB", MachineInfo.memoryBytes() / (double) (1L << 30))).append('\n');
        md.append("- JVM: ").append(MachineInfo.jvm()).append(", ").append(MachineInfo.vectorBits()).append("-bit vectors\n");
        md.append(String.format("- CPU FP32 FMA peak (measured, %d threads): %.1f GFLOP/s%n", peak.threads(), peak.gflops()));
        md.append("- Reference: ").append(blas.map(b -> "OpenBLAS " + b.config()).orElse(OpenBlas.unavailableReason())).append('\n');
        for (Map<String, Object> b : MachineInfo.backends()) {
            md.append("- Backend `").append(b.get("name")).append("`: ")
                    .append(Boolean.TRUE.equals(b.get("available")) ? String.join("; ", ((List<?>) b.get("devices")).stream().map(String::valueOf).toList())
                            : "unavailable, " + b.get("reason")).append('\n');
        }
        for (Map.Entry<String, Map<String, String>> d : deviceFacts.entrySet()) {
            if (!d.getValue().isEmpty()) md.append("- ").append(DeviceFacts.describe(d.getKey(), d.getValue(), peaks)).append('\n');
        }
        md.append(String.format("- Time budget %.1f s per row; command: `./kiln bench %s`%n%n", options.timeBudgetSeconds(),
                String.join(" ", commandLine)));
        md.append(table.markdown(rows)).append('\n');
        for (NotRun n : notRun) md.append(ReportTable.notRunLine(n)).append("  \n");
        if (!notRun.isEmpty()) md.append('\n');
        ReportTable.LEGEND.lines().forEach(l -> md.append(l).append("  \n"));
        for (String n : notes) md.append("\nNote: ").append(n).append('\n');
        Path file = Path.of(json.toString().replaceFirst("\\.json$", ".md"));
        Files.writeString(file, md.toString());
        return file;
    }

    static final String FORMAT = "kiln-bench/2";

    static Map<String, Object> notRunJson(NotRun n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", n.backend());
        m.put("precisions", n.precisions());
        m.put("rows", n.rows());
        m.put("reason", n.reason());
        return m;
    }

    Map<String, Object> rowJson(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend());
        m.put("precision", r.precision());
        m.put("kernel", r.kernel());
        m.put("name", r.name());
        m.put("geometry", r.geometry());
        m.put("batch", r.batch());
        m.put("flops", r.flops());
        if (r.ok()) {
            Stats s = r.result().stats();
            Function<Double, Double> ms = v -> Math.round(v * 1e6) / 1e3;   // milliseconds to the microsecond
            m.put("first_call_ms", ms.apply(r.result().firstCallSeconds()));
            m.put("samples", s.samples());
            m.put("settled", r.result().settled());
            m.put("median_ms", ms.apply(s.median()));
            m.put("p90_ms", ms.apply(s.p90()));
            m.put("min_ms", ms.apply(s.min()));
            m.put("max_ms", ms.apply(s.max()));
            m.put("mean_ms", ms.apply(s.mean()));
            m.put("gflops", r.gflops());
            m.put("items_per_s", r.itemsPerSecond());
            m.put("fraction_of_peak", fractionOfPeak(r));
            m.put("vs_openblas", versusOpenBlas(r));
            m.put("vs_cpu", versusCpu(r));
            if (options.compareTorch()) m.put("vs_torch", versusTorch(r));
            if (previous != null) m.put("vs_old", versusOld(r));
        } else {
            m.put("error", r.error());
        }
        return m;
    }
}
