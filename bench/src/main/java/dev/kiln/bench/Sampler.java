package dev.kiln.bench;

import java.util.Arrays;

/**
 * Times one operation: warm-up, then timed iterations until the median settles (after at least half
 * the budget) or the time budget ends. The first call is timed on its own (it includes JIT compilation, kernel builds, allocations).
 */
public final class Sampler {
    /** One timed call; implementations synchronize the device before returning. */
    @FunctionalInterface
    public interface Op {
        void run() throws Exception;
    }

    public record Result(double firstCallSeconds, Stats stats, boolean settled) {}

    private static final int MIN_SAMPLES = 5;
    private static final int SETTLE_SAMPLES = 10;
    private static final int MAX_SAMPLES = 1000;
    /** Stop once the medians of the older and newer half of the samples agree this closely. */
    private static final double SETTLED = 0.02;

    private final double budgetSeconds;

    public Sampler(double budgetSeconds) {
        if (!(budgetSeconds > 0)) throw new IllegalArgumentException("time budget must be > 0 seconds, got " + budgetSeconds);
        this.budgetSeconds = budgetSeconds;
    }

    public Result measure(Op op) throws Exception {
        long start = System.nanoTime();
        double first = time(op);
        // Warm-up: a quarter of the budget, at least two more calls; one for an op slower than that
        // quarter, none for an op slower than the whole budget (its first call warmed it up).
        double warmBudget = budgetSeconds * 0.25;
        int minWarm = first > budgetSeconds ? 0 : first > warmBudget ? 1 : 2;
        long warmStart = System.nanoTime();
        for (int i = 0; i < minWarm || (minWarm > 0 && elapsed(warmStart) < warmBudget); i++) {
            time(op);
            if (elapsed(start) > budgetSeconds && i + 1 >= minWarm) break;
        }
        double[] samples = new double[MAX_SAMPLES];
        int n = 0;
        boolean settled = false;
        while (n < MAX_SAMPLES) {
            samples[n++] = time(op);
            if (n >= SETTLE_SAMPLES && elapsed(start) >= budgetSeconds / 2 && isSettled(samples, n)) {
                settled = true;
                break;
            }
            if (n >= MIN_SAMPLES && elapsed(start) > budgetSeconds) break;
            // A very slow op: past twice the budget, three samples must do.
            if (n >= 3 && elapsed(start) > 2 * budgetSeconds) break;
        }
        return new Result(first, Stats.of(Arrays.copyOf(samples, n)), settled);
    }

    static boolean isSettled(double[] samples, int n) {
        int half = n / 2;
        double older = Stats.of(Arrays.copyOfRange(samples, 0, half)).median();
        double newer = Stats.of(Arrays.copyOfRange(samples, n - half, n)).median();
        return Math.abs(older - newer) <= SETTLED * Math.min(older, newer);
    }

    private static double time(Op op) throws Exception {
        long t0 = System.nanoTime();
        op.run();
        return (System.nanoTime() - t0) * 1e-9;
    }

    private static double elapsed(long since) { return (System.nanoTime() - since) * 1e-9; }
}
