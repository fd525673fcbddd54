package dev.kiln;

import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;

/**
 * A seeded source of random numbers: a Philox key and a counter that each draw advances, so that the
 * same seed and the same sequence of draws give the same numbers on every backend. Thread-safe.
 */
public final class Generator {
    private final long seed;
    private long offset;

    public Generator(long seed) { this.seed = seed; }

    public long seed() { return seed; }

    /** Reserves the counters for {@code n} values of {@code d}; returns the first counter. */
    public synchronized long reserve(Distribution d, long n) {
        long start = offset;
        offset += Philox.countersUsed(d, n);
        return start;
    }

    public synchronized long offset() { return offset; }
}
