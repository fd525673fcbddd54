package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The peak loop computes what it claims (its speed is the benchmark's business, not a test's). */
class FmaPeakTest {
    @Test
    void burnAccumulatesEveryChain() {
        // 12 chains x lanes x iters additions of 0.999 * 1e-7, summed over lanes and chains
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        long iters = 1000;
        double expected = 12.0 * lanes * iters * (0.999f * 1e-7f);
        assertEquals(expected, FmaPeak.burn(iters), expected * 1e-3);
    }
}
