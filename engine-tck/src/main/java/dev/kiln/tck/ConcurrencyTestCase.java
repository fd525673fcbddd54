package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Threads: parameters shared read-only, 8 threads running the same small network 50 times each
 * must give the same bits as one thread, and all device memory must come back.
 */
public abstract class ConcurrencyTestCase extends KilnTestCase {
    private static final int THREADS = 8, REPEATS = 50;

    /** A two-layer MLP from primitives: relu(x @ w1 + b1) @ w2 + b2, then per-row sums. */
    private static float[] forward(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        try (Scope s = Kiln.scope()) {
            Tensor h = x.matmul(w1).add(b1).relu();
            Tensor y = h.matmul(w2).add(b2);
            return y.sum(1).toFloatArray();
        }
    }

    /** Float64 row sums, and the same computation on magnitudes (what rounding error is proportional to). */
    private static double[][] reference(HostTensor x, HostTensor w1, HostTensor b1, HostTensor w2, HostTensor b2) {
        int n = x.shape[0], in = x.shape[1], hid = w1.shape[1], out = w2.shape[1];
        double[] r = new double[n], mag = new double[n];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double acc = b2.data[o], accMag = Math.abs(b2.data[o]);
                for (int j = 0; j < hid; j++) {
                    double h = b1.data[j], hMag = Math.abs(b1.data[j]);
                    for (int k = 0; k < in; k++) {
                        h += x.get(i, k) * w1.get(k, j);
                        hMag += Math.abs(x.get(i, k) * w1.get(k, j));
                    }
                    acc += Math.max(h, 0) * w2.get(j, o);
                    accMag += hMag * Math.abs(w2.get(j, o));
                }
                r[i] += acc;
                mag[i] += accMag;
            }
        }
        return new double[][] {r, mag};
    }

    @Test
    void eightThreadsGiveTheBitsOfOne() throws Exception {
        HostTensor hx = randn(9, 17), hw1 = randn(17, 33), hb1 = randn(33), hw2 = randn(33, 5), hb2 = randn(5);
        Tensor x = upload(hx), w1 = upload(hw1), b1 = upload(hb1), w2 = upload(hw2), b2 = upload(hb2);
        long base = device().bytesInUse();
        float[] single = forward(x, w1, b1, w2, b2);
        double[][] ref = reference(hx, hw1, hb1, hw2, hb2);
        // "identical" must not mean "identically wrong"
        ElementChecks.assertScaled("single-thread forward", ref[0], ref[1], single, tolerance(), seedNote());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit((Callable<List<float[]>>) () -> {
                    List<float[]> mine = new ArrayList<>();
                    for (int r = 0; r < REPEATS; r++) mine.add(forward(x, w1, b1, w2, b2));
                    device().synchronize();
                    return mine;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                List<float[]> got = results.get(t).get(5, TimeUnit.MINUTES);
                for (int r = 0; r < REPEATS; r++) assertArrayEquals(single, got.get(r), "thread " + t + " run " + r + " (" + seedNote() + ")");
            }
        } finally {
            pool.shutdown();
        }
        device().synchronize();
        assertEquals(base, device().bytesInUse(), "bytes in use after the threads finished");
    }

    @Test
    void concurrentRandomDrawsFromOwnGeneratorsAreReproducible() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long s = seed + t;
                results.add(pool.submit(() -> {
                    try (Tensor r = device().rand(new Generator(s), 257)) {
                        return r.toFloatArray();
                    }
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                try (Tensor again = device().rand(new Generator(seed + t), 257)) {
                    assertArrayEquals(again.toFloatArray(), results.get(t).get(5, TimeUnit.MINUTES), "thread " + t);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void sharedGeneratorHandsOutDisjointCounters() throws Exception {
        Generator g = new Generator(seed);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Long>> starts = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                starts.add(pool.submit(() -> {
                    try (Tensor r = device().rand(g, 8)) {
                        r.toFloatArray();
                    }
                    return 0L;
                }));
            }
            for (Future<Long> f : starts) f.get(5, TimeUnit.MINUTES);
        } finally {
            pool.shutdown();
        }
        assertEquals(THREADS * 2L, g.offset(), "8 draws of 8 uniforms take 16 counters");
    }
}
