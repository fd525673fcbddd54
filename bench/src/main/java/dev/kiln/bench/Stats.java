package dev.kiln.bench;

import java.util.Arrays;

/** Order statistics of one row's timed iterations, in seconds. */
public record Stats(int samples, double median, double p90, double min, double max, double mean) {

    public static Stats of(double[] seconds) {
        if (seconds.length == 0) throw new IllegalArgumentException("no samples");
        double[] s = seconds.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) sum += v;
        return new Stats(s.length, quantile(s, 0.5), quantile(s, 0.9), s[0], s[s.length - 1], sum / s.length);
    }

    /** Linear interpolation between closest ranks (NumPy's default), on sorted data. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** (p90 - min) / median: how far the slow tail stands from the best run. */
    public double spread() { return median == 0 ? 0 : (p90 - min) / median; }
}
