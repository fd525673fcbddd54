package dev.kiln.spi;

/**
 * Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), and the
 * exact mapping every backend uses from (seed, offset, element index) to a random value:
 * <ul>
 *   <li>key = (low 32 bits of seed, high 32 bits of seed);</li>
 *   <li>UNIFORM: element {@code i} takes counter {@code c = offset + i / 4} as the 128-bit value
 *       (low32(c), high32(c), 0, 0) and word {@code i % 4} of the result; the value is
 *       {@code (word >>> 8) * 2^-24}, in [0, 1);</li>
 *   <li>NORMAL: element {@code i} takes counter {@code c = offset + i / 2} and words
 *       {@code 2 * (i % 2)} and {@code 2 * (i % 2) + 1}: {@code u1 = ((w0 >>> 8) + 1) * 2^-24} in (0, 1],
 *       {@code u2 = (w1 >>> 8) * 2^-24}, value {@code sqrt(-2 ln u1) * cos(2 pi u2)}.</li>
 * </ul>
 * A call over n elements consumes {@link #countersUsed} counters, so the next call starts after them.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** The four output words for one counter. */
    public static int[] block(long seed, long counter) {
        int c0 = (int) counter, c1 = (int) (counter >>> 32), c2 = 0, c3 = 0;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k0 += W0; k1 += W1; }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0, hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    public static float uniform(long seed, long offset, long i) {
        int w = block(seed, offset + i / 4)[(int) (i % 4)];
        return (w >>> 8) * 0x1p-24f;
    }

    public static float normal(long seed, long offset, long i) {
        int[] b = block(seed, offset + i / 2);
        int j = (int) (i % 2) * 2;
        double u1 = ((b[j] >>> 8) + 1) * 0x1p-24;
        double u2 = (b[j + 1] >>> 8) * 0x1p-24;
        return (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }

    public static long countersUsed(Distribution d, long n) {
        return d == Distribution.UNIFORM ? (n + 3) / 4 : (n + 1) / 2;
    }
}
