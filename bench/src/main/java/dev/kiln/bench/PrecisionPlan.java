package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Which precisions a device runs: those requested that its backend offers, each opened under its own
 * name; the rest become one not-run entry with the reason, so a backend that computes in fp32 only
 * never runs fp32 under another label.
 */
record PrecisionPlan(List<Run> runs, Main.NotRun notRun) {

    /** One group of rows: the device {@code deviceName} (opened as {@code openAs}) in {@code precision}. */
    record Run(String precision, String openAs) {}

    /**
     * {@code offered}: the backend's {@code BackendProvider.precisions()}; {@code requested}: --precision,
     * fp32 first; {@code rows}: rows per precision. A backend that offers several modes is opened by
     * precision ({@code cuda:0@fp32}) so that {@code -Dkiln.cuda.precision} cannot relabel its fp32 rows.
     */
    static PrecisionPlan of(String deviceName, String backendName, List<String> offered, List<String> requested, int rows) {
        List<Run> runs = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String p : requested) {
            if (!offered.contains(p)) missing.add(p);
            else runs.add(new Run(p, offered.size() > 1 ? deviceName + "@" + p : deviceName));
        }
        Main.NotRun notRun = missing.isEmpty() || rows == 0 ? null
                : new Main.NotRun(deviceName, List.copyOf(missing), backendName + " computes in " + String.join(", ", offered) + " only", rows);
        return new PrecisionPlan(List.copyOf(runs), notRun);
    }
}
