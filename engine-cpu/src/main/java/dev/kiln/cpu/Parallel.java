package dev.kiln.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The backend's worker pool and the split of index ranges over it. Work below a threshold runs on
 * the calling thread; above it, the range is cut into a few chunks per worker (so that uneven
 * chunks balance by work stealing) and the caller waits for all of them.
 */
final class Parallel {
    /** Elements below which an elementwise op or reduction stays on the calling thread. */
    static final long ELEMENT_THRESHOLD = 32 * 1024;

    static final int THREADS = Math.max(1, Integer.getInteger("kiln.cpu.threads", Runtime.getRuntime().availableProcessors()));

    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("kiln-cpu-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);

    @FunctionalInterface
    interface RangeBody {
        void run(long start, long end);
    }

    private Parallel() {}

    /** Runs body over [0, n), in parallel when n reaches {@code threshold}; chunks are at least {@code grain} long. */
    static void forRange(long n, long threshold, long grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = (int) Math.min(THREADS * 4L, Math.max(1, n / Math.max(1, grain)));
        if (n < threshold || chunks <= 1 || THREADS == 1) {
            body.run(0, n);
            return;
        }
        List<RecursiveAction> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            long s = n * c / chunks, e = n * (c + 1) / chunks;
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() { body.run(s, e); }
            });
        }
        invokeAll(tasks);
    }

    /** Runs the tasks on the pool and waits; exceptions of a task reach the caller. */
    static void invokeAll(List<? extends ForkJoinTask<?>> tasks) {
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
            ForkJoinTask.invokeAll(tasks);
        } else {
            POOL.invoke(new RecursiveAction() {
                @Override
                protected void compute() { ForkJoinTask.invokeAll(tasks); }
            });
        }
    }
}
