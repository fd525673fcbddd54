package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void quantilesInterpolateLikeNumpy() {
        // numpy.percentile([5, 1, 4, 2, 3], [50, 90]) == [3.0, 4.6]
        Stats s = Stats.of(new double[] {5, 1, 4, 2, 3});
        assertEquals(5, s.samples());
        assertEquals(3.0, s.median(), 1e-12);
        assertEquals(4.6, s.p90(), 1e-12);
        assertEquals(1.0, s.min());
        assertEquals(5.0, s.max());
        assertEquals(3.0, s.mean(), 1e-12);
    }

    @Test
    void evenCountMedianIsTheMidpoint() {
        assertEquals(2.5, Stats.of(new double[] {4, 1, 3, 2}).median(), 1e-12);
    }

    @Test
    void oneSampleIsEveryStatistic() {
        Stats s = Stats.of(new double[] {0.25});
        assertEquals(0.25, s.median());
        assertEquals(0.25, s.p90());
        assertEquals(0.0, s.spread());
    }

    @Test
    void noSamplesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Stats.of(new double[0]));
    }

    @Test
    void settledWhenBothHalvesAgree() {
        double[] steady = {1.00, 1.01, 0.99, 1.00, 1.01, 1.00, 0.99, 1.00, 1.01, 1.00};
        assertTrue(Sampler.isSettled(steady, steady.length));
        double[] stillWarming = {2.0, 1.9, 1.8, 1.7, 1.6, 1.2, 1.1, 1.0, 1.0, 1.0};
        assertFalse(Sampler.isSettled(stillWarming, stillWarming.length));
    }

    @Test
    void samplerCountsEveryCallAndReportsTheFirstApart() throws Exception {
        int[] calls = {0};
        Sampler.Result r = new Sampler(0.05).measure(() -> calls[0]++);
        assertTrue(r.stats().samples() >= 5, "at least five timed samples, got " + r.stats().samples());
        // first call + at least two warm-up calls + the samples
        assertTrue(calls[0] >= 3 + r.stats().samples(), "calls " + calls[0]);
        assertTrue(r.firstCallSeconds() >= 0);
    }

    @Test
    void samplerRejectsANonPositiveBudget() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Double.NaN));
    }
}
