package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's FP32 fused-multiply-add peak: every core runs independent FMA chains on
 * the widest vector the JVM offers, enough chains to cover the FMA latency on two FMA ports.
 * Real kernels cannot beat it, so it is the denominator of "fraction of peak".
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Independent accumulators per thread: latency 4-5 cycles x 2 ports needs at least 10. */
    private static final int CHAINS = 12;

    /** Read at run time, so the JIT cannot fold the FMA operands into constants. */
    private static volatile float factorX = 0.999f, factorY = 1e-7f;

    private FmaPeak() {}

    public record Result(double gflops, int threads, int vectorBits, double perCoreGflops) {}

    /** Iterations of {@link #burn} between two looks at the clock: about a millisecond of work. */
    private static final long CHUNK = 100_000;

    /** Best of five timed rounds on {@code threads} threads, about {@code seconds} in all. */
    public static Result measure(int threads, double seconds) throws InterruptedException {
        // Warm-up compiles burn() with C2 (the Vector API is only fast once intrinsified).
        for (int i = 0; i < 50; i++) burn(CHUNK / 5);
        int rounds = 5;
        double best = 0;
        for (int r = 0; r < rounds; r++) best = Math.max(best, runRound(threads, seconds / rounds));
        double gflops = best * 1e-9;
        return new Result(gflops, threads, SPECIES.vectorBitSize(), gflops / threads);
    }

    /**
     * Every thread burns chunks until the round's deadline; the rate is all the work done over the
     * time from the common start to the last thread's finish. A fixed deadline rather than a fixed
     * amount of work: on a busy machine a thread descheduled for a while cannot stretch the round.
     */
    private static double runRound(int threads, double seconds) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        long[] chunks = new long[threads];
        float[] sink = new float[threads];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(Thread.ofPlatform().daemon().name("fma-peak-" + t).start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long deadline = System.nanoTime() + (long) (seconds * 1e9);
                float acc = 0;
                long n = 0;
                do {
                    acc += burn(CHUNK);
                    n++;
                } while (System.nanoTime() < deadline);
                chunks[id] = n;
                sink[id] = acc;
            }));
        }
        try {
            start.await();
        } catch (java.util.concurrent.BrokenBarrierException e) {
            throw new IllegalStateException("FMA peak: a worker failed", e);
        }
        long t0 = System.nanoTime();
        for (Thread w : workers) w.join();
        double elapsed = (System.nanoTime() - t0) * 1e-9;
        if (Float.isNaN(sink[0])) throw new IllegalStateException("FMA loop produced NaN");
        long total = 0;
        for (long c : chunks) total += c;
        return 2.0 * SPECIES.length() * CHAINS * CHUNK * total / elapsed;
    }

    /** {@code CHAINS} independent {@code acc = x * y + acc} chains; the sum keeps the JIT from dropping them. */
    static float burn(long iters) {
        FloatVector x = FloatVector.broadcast(SPECIES, factorX);
        FloatVector y = FloatVector.broadcast(SPECIES, factorY);
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iters; i++) {
            a0 = x.fma(y, a0); a1 = x.fma(y, a1); a2 = x.fma(y, a2); a3 = x.fma(y, a3);
            a4 = x.fma(y, a4); a5 = x.fma(y, a5); a6 = x.fma(y, a6); a7 = x.fma(y, a7);
            a8 = x.fma(y, a8); a9 = x.fma(y, a9); a10 = x.fma(y, a10); a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
