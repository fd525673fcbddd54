package dev.kiln.bench;

import dev.kiln.models.Zoo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The options of {@code ./kiln bench}. */
public record Options(List<String> backends, double timeBudgetSeconds, Path out, boolean quick, List<Integer> batches,
        List<Integer> gemmSizes, List<String> models, Pattern only, Path compare, boolean compareTorch, List<String> precisions,
        Path checkJmh, Path jmhResult, boolean help) {

    /** The GEMM/convolution math modes a report knows, as backends name them ({@code BackendProvider.precisions()}). */
    public static final List<String> PRECISIONS = List.of("fp32", "tf32", "bf16");

    /** The models a CPU finishes in minutes. */
    public static final List<String> DEFAULT_MODELS = List.of("lenet", "alexnet", "googlenet", "resnet18");

    public static final String USAGE = """
            Usage: ./kiln bench [OPTIONS]
              --backends LIST      devices to run, e.g. cpu,opencl:0 (default: every available backend)
              --time-budget SEC    time per row: warm-up plus timed iterations (default 4; --quick: 1)
              --models LIST        zoo models to run (default lenet,alexnet,googlenet,resnet18; any of
                                   ./kiln run's names, e.g. resnet50, vgg16, lstm-lm, bert-base; 'none': kernels only)
              --batch LIST         batch sizes of convolutions, LSTM, attention and models (default 1,32; --quick: 1)
              --only REGEX         only rows whose name matches, e.g. 'gemm|alexnet'
              --out DIR            where the JSON and Markdown reports go (default bench-out)
              --compare OLD.json   add the speedup of each row over the same row of an earlier run
              --compare-torch      time the same rows in PyTorch on the CPU (a Python subprocess: /usr/bin/python3
                                   or KILN_PYTHON, with torch and torchvision) and add Kiln/PyTorch (fp32 rows)
              --precision LIST     math modes of GEMM and convolution to run each row in, of fp32,tf32,bf16
                                   (default fp32, which always runs); backends without a mode (cpu, opencl)
                                   list its rows as not run
              --check-jmh [REPORT] instead of a run: time the GEMM rows of REPORT (default OUT/latest.json) with
                                   JMH's GemmBenchmark and OpenBlasGemmBenchmark, print both with their spread,
                                   and say whether they agree (exit status 1 when any does not)
              --jmh-result FILE    with --check-jmh: compare with this JMH JSON result (./kiln jmh Gemm -rf json
                                   -rff FILE) instead of running JMH
              --quick              a short run: 1 s per row, batch 1, GEMM up to 1024, lenet and alexnet
              --help               this text
            """;

    public static Options parse(String... args) {
        List<String> backends = List.of();
        Double budget = null;
        Path out = Path.of("bench-out");
        boolean quick = false;
        boolean help = false;
        boolean compareTorch = false;
        List<Integer> batches = null;
        Pattern only = null;
        Path compare = null;
        List<String> models = null;
        List<String> precisions = List.of("fp32");
        Path checkJmh = null;
        Path jmhResult = null;
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick" -> quick = true;
                case "--help", "-h" -> help = true;
                case "--compare-torch" -> compareTorch = true;
                case "--backends" -> backends = deviceNames(value != null ? value : next(args, ++i, a));
                case "--precision", "--precisions" -> precisions = precisions(value != null ? value : next(args, ++i, a));
                case "--check-jmh" -> {
                    check = true;
                    // the report is optional: --check-jmh, --check-jmh=FILE or --check-jmh FILE
                    if (value == null && i + 1 < args.length && !args[i + 1].startsWith("-")) value = args[++i];
                    if (value != null) checkJmh = Path.of(value);
                }
                case "--jmh-result" -> jmhResult = Path.of(value != null ? value : next(args, ++i, a));
                case "--time-budget" -> budget = positive(a, value != null ? value : next(args, ++i, a));
                case "--out" -> out = Path.of(value != null ? value : next(args, ++i, a));
                case "--batch", "--batches" -> batches = split(value != null ? value : next(args, ++i, a)).stream()
                        .map(s -> positiveInt("--batch", s)).toList();
                case "--compare" -> compare = Path.of(value != null ? value : next(args, ++i, a));
                case "--models" -> models = modelNames(value != null ? value : next(args, ++i, a));
                case "--only" -> only = regex(value != null ? value : next(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + USAGE);
            }
        }
        double b = budget != null ? budget : quick ? 1.0 : 4.0;
        List<Integer> batchList = batches != null ? batches : quick ? List.of(1) : List.of(1, 32);
        List<Integer> sizes = quick ? List.of(256, 512, 1024) : List.of(256, 512, 1024, 2048);
        if (check && checkJmh == null) checkJmh = out.resolve("latest.json");
        if (jmhResult != null && !check) throw new IllegalArgumentException("--jmh-result goes with --check-jmh");
        return new Options(backends, b, out, quick, batchList, sizes,
                models != null ? models : quick ? List.of("lenet", "alexnet") : DEFAULT_MODELS, only, compare, compareTorch,
                precisions, checkJmh, jmhResult, help);
    }

    /**
     * The modes asked for, fp32 first (it always runs: every other row is compared with it), then the
     * others in the order given, each once.
     */
    static List<String> precisions(String s) {
        LinkedHashSet<String> out = new LinkedHashSet<>(List.of("fp32"));
        for (String p : split(s)) {
            String name = p.toLowerCase(java.util.Locale.ROOT);
            if (!PRECISIONS.contains(name)) {
                throw new IllegalArgumentException("--precision: unknown precision '" + p + "'; valid: " + String.join(", ", PRECISIONS));
            }
            out.add(name);
        }
        return List.copyOf(out);
    }

    /** Device names; a precision goes in --precision, so that every row records it in one place. */
    private static List<String> deviceNames(String s) {
        List<String> names = split(s);
        for (String n : names) {
            if (n.contains("@")) {
                throw new IllegalArgumentException("--backends: '" + n + "': name the device without a precision and the modes with"
                        + " --precision, e.g. --backends " + n.substring(0, n.indexOf('@')) + " --precision " + n.substring(n.indexOf('@') + 1));
            }
        }
        return names;
    }

    public boolean selected(String rowName) { return only == null || only.matcher(rowName).find(); }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
        return args[i];
    }

    private static List<String> split(String s) {
        List<String> parts = new ArrayList<>(Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList());
        if (parts.isEmpty()) throw new IllegalArgumentException("expected a comma-separated list, got '" + s + "'");
        return List.copyOf(parts);
    }

    private static double positive(String option, String s) {
        try {
            double v = Double.parseDouble(s);
            if (v > 0 && Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " expects a positive number, got '" + s + "'");
    }

    private static List<String> modelNames(String s) {
        if (s.trim().equals("none")) return List.of();
        List<String> names = split(s);
        for (String n : names) {
            if (!Zoo.names().contains(n)) {
                throw new IllegalArgumentException("--models: unknown model '" + n + "'; known: " + Zoo.names() + " or none");
            }
        }
        return names;
    }

    private static int positiveInt(String option, String s) {
        try {
            int v = Integer.parseInt(s);
            if (v > 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " expects positive integers, got '" + s + "'");
    }

    private static Pattern regex(String s) {
        try {
            return Pattern.compile(s);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--only: not a regular expression: " + e.getMessage());
        }
    }
}
