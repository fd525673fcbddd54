package dev.kiln.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Times one operation: warm-up (a quarter of the budget, then on while the JVM's JIT is still
 * compiling, up to one more budget), then timed iterations until the median settles (after at least
 * a quarter of the budget) or three quarters of the budget have passed. The first call is timed on
 * its own (it includes JIT compilation, kernel builds, allocations).
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
    private final LongSupplier compileMillis;

    public Sampler(double budgetSeconds) {
        this(budgetSeconds, jitClock());
    }

    /** {@code compileMillis}: the JVM's accumulated JIT compilation time, or null where it cannot be watched. */
    Sampler(double budgetSeconds, LongSupplier compileMillis) {
        if (!(budgetSeconds > 0)) throw new IllegalArgumentException("time budget must be > 0 seconds, got " + budgetSeconds);
        this.budgetSeconds = budgetSeconds;
        this.compileMillis = compileMillis;
    }

    private static LongSupplier jitClock() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : null;
    }

    public Result measure(Op op) throws Exception {
        long start = System.nanoTime();
        double first = time(op);
        // Warm-up: a quarter of the budget, at least two more calls; one for an op slower than that
        // quarter, none for an op slower than the whole budget (its first call warmed it up).
        double warmBudget = budgetSeconds * 0.25;
        int minWarm = first > budgetSeconds ? 0 : first > warmBudget ? 1 : 2;
        long warmStart = System.nanoTime();
        JitWatch jit = new JitWatch(compileMillis);
        for (int i = 0; i < minWarm || (minWarm > 0 && elapsed(warmStart) < warmBudget); i++) {
            time(op);
            jit.afterCall();
            if (elapsed(start) > budgetSeconds && i + 1 >= minWarm) break;
        }
        // Then, for an op shorter than the warm-up, on while the JIT is still compiling (Vector API
        // kernels are slow until C2 has them, and on two cores its threads take time from the op),
        // for up to one more budget. Longer ops run kernels that earlier calls have compiled.
        if (minWarm == 2) {
            long more = System.nanoTime();
            while (!jit.quiet() && elapsed(more) < budgetSeconds) {
                time(op);
                jit.afterCall();
            }
        }
        double[] samples = new double[MAX_SAMPLES];
        long timedStart = System.nanoTime();
        int n = 0;
        boolean settled = false;
        while (n < MAX_SAMPLES) {
            samples[n++] = time(op);
            if (n >= SETTLE_SAMPLES && elapsed(timedStart) >= budgetSeconds / 4 && isSettled(samples, n)) {
                settled = true;
                break;
            }
            if (n >= MIN_SAMPLES && elapsed(timedStart) > budgetSeconds * 0.75) break;
            // A very slow op: past twice the budget, three samples must do.
            if (n >= 3 && elapsed(start) > 2 * budgetSeconds) break;
        }
        return new Result(first, Stats.of(Arrays.copyOf(samples, n)), settled);
    }

    /** Whether the JIT compiled anything lately: quiet once its total time has not moved for {@link #QUIET_CALLS} calls and {@link #QUIET_MILLIS}. */
    static final class JitWatch {
        static final int QUIET_CALLS = 3;
        static final long QUIET_MILLIS = 200;
        private final LongSupplier compileMillis;
        private long last;
        private int stillCalls;
        private long stillSince = System.nanoTime();

        JitWatch(LongSupplier compileMillis) {
            this.compileMillis = compileMillis;
            this.last = compileMillis == null ? 0 : compileMillis.getAsLong();
        }

        void afterCall() {
            if (compileMillis == null) return;
            long now = compileMillis.getAsLong();
            if (now != last) {
                last = now;
                stillCalls = 0;
                stillSince = System.nanoTime();
            } else {
                stillCalls++;
            }
        }

        boolean quiet() {
            return compileMillis == null || (stillCalls >= QUIET_CALLS && (System.nanoTime() - stillSince) / 1_000_000 >= QUIET_MILLIS);
        }
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
