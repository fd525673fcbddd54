package dev.kiln.tck.ref;

/**
 * Philox 4x32-10 written again from Salmon et al. (SC 2011), with the full 128-bit counter so the
 * published known-answer vectors of Random123 can check it; and the value mapping of
 * {@link dev.kiln.spi.Philox}'s Javadoc, evaluated in float64.
 */
public final class PhiloxRef {
    private PhiloxRef() {}

    private static final long MUL0 = 0xD2511F53L, MUL1 = 0xCD9E8D57L;
    private static final int BUMP0 = 0x9E3779B9, BUMP1 = 0xBB67AE85;

    /** Ten rounds on counter {@code ctr} (4 words) with key {@code key} (2 words). */
    public static int[] philox4x32(int[] ctr, int[] key) {
        int x0 = ctr[0], x1 = ctr[1], x2 = ctr[2], x3 = ctr[3], k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++) {
            long prod0 = MUL0 * Integer.toUnsignedLong(x0);
            long prod1 = MUL1 * Integer.toUnsignedLong(x2);
            int y0 = (int) (prod1 >>> 32) ^ x1 ^ k0;
            int y2 = (int) (prod0 >>> 32) ^ x3 ^ k1;
            x1 = (int) prod1;
            x3 = (int) prod0;
            x0 = y0;
            x2 = y2;
            k0 += BUMP0;
            k1 += BUMP1;
        }
        return new int[] {x0, x1, x2, x3};
    }

    private static int[] blockFor(long seed, long counter) {
        return philox4x32(new int[] {(int) counter, (int) (counter >>> 32), 0, 0}, new int[] {(int) seed, (int) (seed >>> 32)});
    }

    public static double uniform(long seed, long offset, long i) {
        int w = blockFor(seed, offset + i / 4)[(int) (i % 4)];
        return (w >>> 8) / 16777216.0;
    }

    public static double normal(long seed, long offset, long i) {
        int[] b = blockFor(seed, offset + i / 2);
        int j = (int) (i % 2) * 2;
        double u1 = ((b[j] >>> 8) + 1) / 16777216.0, u2 = (b[j + 1] >>> 8) / 16777216.0;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
