package dev.kiln.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * PyTorch on the CPU, in fp32, as a peer in the same run ({@code --compare-torch}): the plan goes to a small
 * Python script ({@code torch_peer.py}) on stdin, which times every row the way {@link Sampler}
 * does and prints one JSON line per row.
 */
final class TorchPeer {
    static final String BACKEND = "torch";

    private TorchPeer() {}

    /** {@code KILN_PYTHON}, else the system Python where Debian's python3-torch lives, else python3 on the PATH. */
    static String python() {
        String env = System.getenv("KILN_PYTHON");
        if (env != null && !env.isBlank()) return env;
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /**
     * Runs {@code specs} in PyTorch with {@code threads} threads and hands each row to {@code onRow}
     * as it finishes. Returns PyTorch's version line; throws IOException with the script's error when
     * Python or PyTorch is missing or the script fails.
     */
    static String run(List<Spec> specs, double budgetSeconds, int threads, Consumer<Row> onRow) throws IOException, InterruptedException {
        Path script = Files.createTempFile("kiln-torch-peer", ".py");
        Path stderr = Files.createTempFile("kiln-torch-peer", ".err");
        try {
            try (InputStream in = TorchPeer.class.getResourceAsStream("torch_peer.py")) {
                if (in == null) throw new IOException("torch_peer.py is missing from the bench jar");
                Files.write(script, in.readAllBytes());
            }
            Process p = new ProcessBuilder(python(), script.toString()).redirectError(stderr.toFile()).start();
            Map<String, Object> plan = new LinkedHashMap<>();
            plan.put("budget", budgetSeconds);
            plan.put("threads", threads);
            plan.put("rows", specs.stream().map(Spec::torchRow).toList());
            try (OutputStream out = p.getOutputStream()) {
                out.write(Json.write(plan).getBytes(StandardCharsets.UTF_8));
            }
            String version = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!(Json.parse(line) instanceof Map<?, ?> m)) continue;
                    if (m.containsKey("torch")) {
                        version = "PyTorch " + m.get("torch") + ", " + Math.round((Double) m.get("threads")) + " threads";
                        continue;
                    }
                    onRow.accept(toRow(m, specs));
                }
            }
            int status = p.waitFor();
            if (status != 0 || version == null) {
                List<String> err = Files.readAllLines(stderr);
                String tail = String.join(" | ", err.subList(Math.max(0, err.size() - 3), err.size()));
                throw new IOException(python() + " " + script.getFileName() + " exited with " + status + ": " + tail);
            }
            return version;
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(stderr);
        }
    }

    static Row toRow(Map<?, ?> m, List<Spec> specs) {
        String kernel = String.valueOf(m.get("kernel"));
        String name = String.valueOf(m.get("name"));
        int batch = (int) Math.round((Double) m.get("batch"));
        Spec spec = specs.stream().filter(s -> s.kernel().equals(kernel) && s.name().equals(name) && s.batch() == batch)
                .findFirst().orElseThrow(() -> new IllegalStateException("torch peer answered a row not asked for: " + m));
        if (m.get("error") != null) {
            return Row.failed(BACKEND, Row.FP32, kernel, name, spec.geometry(), batch, spec.flops(), String.valueOf(m.get("error")));
        }
        List<?> raw = (List<?>) m.get("samples");
        double[] samples = raw.stream().mapToDouble(x -> (Double) x).toArray();
        boolean settled = samples.length >= 10 && Sampler.isSettled(samples, samples.length);
        Sampler.Result result = new Sampler.Result((Double) m.get("first"), Stats.of(samples), settled);
        return new Row(BACKEND, Row.FP32, kernel, name, spec.geometry(), batch, spec.flops(), result, null);
    }
}
